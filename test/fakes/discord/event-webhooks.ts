// Signed HTTP webhook events, as Discord sends them to an app's events endpoint (developer portal →
// Webhooks): POST {version: 1, application_id, type: 1, event: {type, timestamp, data}} with
// X-Signature-Ed25519 (hex Ed25519 signature of timestamp + raw body, by the app's key pair) and
// X-Signature-Timestamp (unix seconds). A 2xx within 3 s is success (Discord asks for 204); otherwise
// Discord retries with backoff (for up to 10 minutes; the fake's schedule is short, see
// FakeDiscordOptions.eventWebhookRetry). `type: 0` is a ping; Discord also sends events with a wrong
// signature on purpose and expects 401.
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import type { EntitlementEventType, EventDeliveryAttempt, FakeEntitlement } from "./types.js";

export interface EventWebhookRetry {
  firstDelayMs: number;
  maxTotalMs: number;
  timeoutMs: number;
}

export const DEFAULT_EVENT_WEBHOOK_RETRY: EventWebhookRetry = { firstDelayMs: 200, maxTotalMs: 10_000, timeoutMs: 3000 };

/** An Ed25519 key pair; `publicKey` as the developer portal shows it (hex of the raw 32-byte key). */
export function appKeyPair(): { publicKey: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const der = publicKey.export({ type: "spki", format: "der" });
  return { publicKey: der.subarray(der.length - 32).toString("hex"), privateKey };
}

type Outcome = number | "timeout" | "error";

export class EventWebhooks {
  readonly publicKey: string;
  private readonly privateKey: KeyObject;
  /** Signs the bad-signature probes: a real signature, by a key that is not the app's. */
  private readonly wrongKey = generateKeyPairSync("ed25519").privateKey;
  url: string | null = null;
  readonly deliveries: EventDeliveryAttempt[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly stop = new AbortController();

  constructor(
    private readonly applicationId: string,
    private readonly retry: EventWebhookRetry,
    private readonly log: (...args: unknown[]) => void,
  ) {
    const keys = appKeyPair();
    this.publicKey = keys.publicKey;
    this.privateKey = keys.privateKey;
  }

  /** Delivers an entitlement event (retrying in the background); dropped when no URL is set, as Discord has nowhere to send it. */
  send(type: EntitlementEventType, data: FakeEntitlement): void {
    if (this.url === null) {
      this.log("webhook event", type, data.id, "dropped: no event webhook URL set");
      return;
    }
    const body = JSON.stringify({
      version: 1, application_id: this.applicationId, type: 1,
      event: { type, timestamp: new Date().toISOString(), data },
    });
    const p = this.deliver(type, data.id, body).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private async deliver(eventType: EntitlementEventType, entitlementId: string, body: string): Promise<void> {
    const first = Date.now();
    let delay = this.retry.firstDelayMs;
    for (let attempt = 1; ; attempt++) {
      const url = this.url;
      if (url === null || this.stop.signal.aborted) return; // the endpoint was removed (or the fake closed)
      const at = Date.now();
      const status = await this.post(url, body, this.privateKey);
      if (this.stop.signal.aborted) return;
      this.deliveries.push({ eventType, entitlementId, status, ms: Date.now() - at, attempt, at });
      this.log("webhook event", eventType, entitlementId, "attempt", attempt, "->", status);
      if (typeof status === "number" && status >= 200 && status < 300) return;
      if (Date.now() + delay - first > this.retry.maxTotalMs) return; // Discord gives up
      await this.sleep(delay);
      delay *= 2;
    }
  }

  /** One signed POST; its status, or "timeout" / "error". */
  private async post(url: string, body: string, key: KeyObject): Promise<Outcome> {
    const timestamp = Math.floor(Date.now() / 1000).toString();
    const signature = sign(null, Buffer.from(timestamp + body), key).toString("hex");
    const timeout = AbortSignal.timeout(this.retry.timeoutMs);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-Signature-Ed25519": signature,
          "X-Signature-Timestamp": timestamp,
        },
        body,
        signal: AbortSignal.any([timeout, this.stop.signal]),
      });
      await res.arrayBuffer().catch(() => undefined); // read the answer (within the same deadline)
      return res.status;
    } catch {
      return timeout.aborted ? "timeout" : "error";
    }
  }

  /** What Discord sends to check an endpoint (see FakeDiscord.probeEventWebhook). */
  async probe(kind: "ping" | "bad-signature", fakeEntitlement: () => FakeEntitlement): Promise<number> {
    if (this.url === null) throw new Error("fake Discord: probeEventWebhook: no event webhook URL set (fake.setEventWebhookUrl)");
    const body =
      kind === "ping"
        ? JSON.stringify({ version: 1, application_id: this.applicationId, type: 0 })
        : JSON.stringify({
            version: 1, application_id: this.applicationId, type: 1,
            event: { type: "ENTITLEMENT_CREATE", timestamp: new Date().toISOString(), data: fakeEntitlement() },
          });
    const status = await this.post(this.url, body, kind === "ping" ? this.privateKey : this.wrongKey);
    if (typeof status !== "number") throw new Error(`fake Discord: probeEventWebhook(${kind}): ${this.url} gave no answer (${status})`);
    return status;
  }

  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stop.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }

  /** Stops every delivery under way (the fake is closing). */
  close(): void {
    this.stop.abort();
  }
}
