import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { z } from "zod";

/** What fal POSTs to the webhook URL when a request ends (fal's documented shape). */
export const falWebhookSchema = z.object({
  request_id: z.string().min(1),
  gateway_request_id: z.string().optional(),
  status: z.enum(["OK", "ERROR"]),
  payload: z.unknown().optional(),
  error: z.string().optional(),
  payload_error: z.string().optional(),
});
export type FalWebhook = z.infer<typeof falWebhookSchema>;

const MAX_SKEW_S = 300;
/** fal: "do not cache longer than 24 hours"; keys are fetched again sooner when one does not verify. */
const KEYS_MAX_AGE_MS = 24 * 3_600_000;
const KEYS_MIN_AGE_MS = 5 * 60_000;
/** After a failed read of the keys, the next try waits this long. */
const KEYS_RETRY_MS = 10_000;

export type Verdict = { ok: true; webhook: FalWebhook } | { ok: false; why: string };

/**
 * Checks a webhook the way fal documents: the four X-Fal-Webhook-* headers present, the
 * timestamp within five minutes, and an ED25519 signature over
 * `request_id \n user_id \n timestamp \n hex(sha256(raw body))` by a key of fal's JWKS.
 */
export class FalWebhookVerifier {
  private keys: KeyObject[] = [];
  private fetchedAt = 0;
  /** The one fetch of fal's keys under way: a burst of webhooks (or forgeries) shares it. */
  private fetching: Promise<KeyObject[]> | null = null;
  /** A failed fetch is not tried again before this (forgeries cannot make the bot hammer fal). */
  private failedAt = 0;

  constructor(
    private readonly jwksUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  async check(headers: IncomingHttpHeaders, rawBody: Buffer): Promise<Verdict> {
    const h = (name: string) => {
      const v = headers[name];
      return typeof v === "string" && v ? v : undefined;
    };
    const requestId = h("x-fal-webhook-request-id");
    const userId = h("x-fal-webhook-user-id");
    const timestamp = h("x-fal-webhook-timestamp");
    const signature = h("x-fal-webhook-signature");
    if (!requestId || !userId || !timestamp || !signature) return { ok: false, why: "missing signature headers" };
    if (!/^\d+$/.test(timestamp) || Math.abs(this.now() / 1000 - Number(timestamp)) > MAX_SKEW_S) return { ok: false, why: "timestamp outside five minutes" };
    if (!/^[0-9a-f]+$/i.test(signature)) return { ok: false, why: "malformed signature" };
    const message = Buffer.from([requestId, userId, timestamp, createHash("sha256").update(rawBody).digest("hex")].join("\n"), "utf8");
    const signed = Buffer.from(signature, "hex");
    let verified = (await this.currentKeys()).some((key) => verify(null, message, key, signed));
    // a key fal rotated in: read the keys again, at most every five minutes (even while none verifies)
    if (!verified && this.now() - this.fetchedAt > KEYS_MIN_AGE_MS) verified = (await this.currentKeys(true)).some((key) => verify(null, message, key, signed));
    if (!verified) return { ok: false, why: "signature does not verify" };
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString("utf8"));
    } catch {
      return { ok: false, why: "body is not JSON" };
    }
    const parsed = falWebhookSchema.safeParse(body);
    if (!parsed.success) return { ok: false, why: "body is not a fal webhook" };
    if (parsed.data.request_id !== requestId) return { ok: false, why: "request id differs from the signed one" };
    return { ok: true, webhook: parsed.data };
  }

  private async currentKeys(refresh = false): Promise<KeyObject[]> {
    const fresh = this.fetchedAt > 0 && this.now() - this.fetchedAt < KEYS_MAX_AGE_MS;
    if (!refresh && fresh) return this.keys;
    if (this.fetching) return this.fetching;
    if (this.now() - this.failedAt < KEYS_RETRY_MS) {
      if (fresh) return this.keys;
      throw new Error("fal's JWKS could not be read a moment ago; not asked again yet");
    }
    this.fetching = this.fetchKeys().finally(() => (this.fetching = null));
    return this.fetching;
  }

  private async fetchKeys(): Promise<KeyObject[]> {
    try {
      const response = await fetch(this.jwksUrl, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`fal's JWKS answered HTTP ${response.status}`);
      const jwks = (await response.json()) as { keys?: Array<{ kty?: string; crv?: string; x?: string }> };
      this.keys = (jwks.keys ?? [])
        .filter((k) => k.kty === "OKP" && k.crv === "Ed25519" && typeof k.x === "string")
        .map((k) => createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: k.x! }, format: "jwk" }));
      this.fetchedAt = this.now();
      return this.keys;
    } catch (err) {
      this.failedAt = this.now();
      throw err;
    }
  }
}
