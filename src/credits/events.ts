import { createPublicKey, verify, type KeyObject } from "node:crypto";
import type { Logger } from "../log/index.js";
import type { CreditShop, EntitlementData } from "./shop.js";

/** An Ed25519 public key as raw 32 bytes, wrapped in the DER header node:crypto reads. */
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

export function publicKeyFromHex(hex: string): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, Buffer.from(hex, "hex")]), format: "der", type: "spki" });
}

/** Discord signs as it signs interactions: Ed25519 over the timestamp header then the raw body. */
export function signatureValid(key: KeyObject, signatureHex: string | undefined, timestamp: string | undefined, body: Buffer): boolean {
  if (!signatureHex || !timestamp || !/^[0-9a-f]{128}$/i.test(signatureHex)) return false;
  try {
    return verify(null, Buffer.concat([Buffer.from(timestamp), body]), key, Buffer.from(signatureHex, "hex"));
  } catch {
    return false;
  }
}

interface Envelope {
  type: number;
  event?: { type?: string; data?: EntitlementData };
}

const HANDLED = new Set(["ENTITLEMENT_CREATE", "ENTITLEMENT_UPDATE", "ENTITLEMENT_DELETE"]);

/**
 * POST /discord/events: Discord's signed webhook events. A bad signature is refused with 401
 * (Discord sends some on purpose to check); a ping and any event answer 204 once a purchase is
 * credited (its consume goes on after the answer). A purchase not credited (the store failed)
 * answers 503: Discord sends it again, and the reconciliation would find it anyway.
 */
export function discordEventsRoute(key: KeyObject, shop: CreditShop, log: Logger) {
  return async (headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<number> => {
    const one = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if (!signatureValid(key, one("x-signature-ed25519"), one("x-signature-timestamp"), body)) return 401;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(body.toString("utf8")) as Envelope;
    } catch {
      return 400;
    }
    if (envelope.type === 0) return 204; // a ping
    const event = envelope.event;
    if (envelope.type !== 1 || !event?.type || !HANDLED.has(event.type) || !event.data?.id) return 204;
    const data = event.type === "ENTITLEMENT_DELETE" ? { ...event.data, deleted: true } : event.data;
    try {
      await shop.receive(data, "webhook");
      return 204;
    } catch (err) {
      log.warn({ err, entitlement: data.id, event: event.type }, "a purchase event could not be booked; Discord will send it again");
      return 503;
    }
  };
}
