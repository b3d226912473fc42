/**
 * fal webhooks (fal.md §3.8), as the fake sends them.
 *
 * A queue submit with `?fal_webhook=<url>` gets one POST to that URL when the job ends:
 *   {"request_id","gateway_request_id","status":"OK","payload":<the result body>}            (a video)
 *   {"request_id","gateway_request_id","status":"ERROR","error":"Invalid status code: N","payload":<the error body>}
 * A cancelled request gets none: fal documents that a request cancelled while queued is removed and
 * never processed, and documents no webhook for it. A cancel fal did not honour changes nothing.
 * Per job (JobTimeline.webhook) an OK body may carry `payload: null` with fal's `payload_error`, and
 * a delivered webhook may be POSTed again (fal delivers at least once: receivers must deduplicate).
 *
 * Headers: X-Fal-Webhook-Request-Id, -User-Id, -Timestamp (unix seconds) and -Signature: hex of an
 * Ed25519 signature over UTF-8 `request_id \n user_id \n timestamp \n hex(sha256(body))`, made with
 * a key pair generated at start whose public half the fake serves as a JWKS.
 * A non-2xx answer or no answer is retried up to 3 times (each attempt re-signed with a fresh timestamp).
 */
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { sleep } from "./http.js";
import type { Job } from "./jobs.js";
import type { WebhookBody, WebhookDelivery, WebhookTamper } from "./types.js";

export const JWKS_PATH = "/.well-known/jwks.json";
const RETRIES = 3;
/** fal's words when it could not serialise the output into the webhook (fal.md §3.8). */
export const PAYLOAD_ERROR =
  "Response payload is not JSON serializable. Either return a JSON serializable object or use the queue endpoint to retrieve the response.";

export interface WebhookSettings {
  userId: string;
  delayMs: number;
  retryDelayMs: number;
  timeoutMs: number;
  extraKeys: number;
}

export interface Jwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  use: "sig";
  alg: "EdDSA";
}

function newKey(kid: string): { privateKey: KeyObject; jwk: Jwk } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const x = (publicKey.export({ format: "jwk" }) as { x?: string }).x;
  if (!x) throw new Error("fake fal: could not export the Ed25519 public key");
  return { privateKey, jwk: { kty: "OKP", crv: "Ed25519", x, kid, use: "sig", alg: "EdDSA" } };
}

export class Webhooks {
  readonly deliveries: WebhookDelivery[] = [];
  /** The JWKS the fake serves: the decoys first, then the signing key. */
  readonly jwks: { keys: Jwk[] };
  private readonly key: KeyObject;
  /** Signs "bad-signature" forgeries: a well-formed signature from a key not in the JWKS. */
  private readonly foreignKey: KeyObject;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Request ids whose webhook has been started (never sent twice). */
  private readonly started = new Set<string>();
  private readonly inflight = new Set<AbortController>();
  /** The last automatic webhook sent per request (set when its POST starts), for resend(). */
  private readonly lastSent = new Map<string, { url: string; headers: Record<string, string>; body: string }>();
  private closed = false;

  constructor(readonly settings: WebhookSettings) {
    const signing = newKey(`fake-fal-${randomUUID().slice(0, 8)}`);
    this.key = signing.privateKey;
    const decoys = Array.from({ length: settings.extraKeys }, (_, i) => newKey(`fake-fal-decoy-${i + 1}`).jwk);
    this.jwks = { keys: [...decoys, signing.jwk] };
    this.foreignKey = newKey("foreign").privateKey;
  }

  /** Call after a submit (and after a release or cancel): (re)schedules the job's webhook. */
  watch(job: Job): void {
    const id = job.requestId;
    const pending = this.timers.get(id);
    if (pending) clearTimeout(pending);
    this.timers.delete(id);
    if (this.closed || !job.webhookUrl || this.started.has(id) || job.cancelledAt !== undefined) return;
    const end = job.completedAt;
    if (end === undefined) return; // an outcome "never" job: release() calls watch() again
    const delay = job.timeline.webhookDelayMs ?? this.settings.delayMs;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      if (this.closed || job.cancelledAt !== undefined) return;
      // timers may fire a millisecond early: wait for the job to really be over, and the delay
      if (job.phase().state !== "COMPLETED" || Date.now() < (job.completedAt ?? Infinity) + delay) return this.watch(job);
      this.started.add(id);
      void this.deliver(job, job.webhookUrl ?? "");
    }, Math.max(1, end + delay - Date.now()));
    this.timers.set(id, timer);
  }

  /** The webhook body for a completed job: the result route's reply, wrapped as fal does. */
  bodyFor(job: Job): WebhookBody {
    const r = job.resultReply();
    const ids = { request_id: job.requestId, gateway_request_id: job.requestId };
    if (r.status < 200 || r.status >= 300) return { ...ids, status: "ERROR", error: `Invalid status code: ${r.status}`, payload: r.body };
    if (job.timeline.webhook?.payloadError) return { ...ids, status: "OK", payload: null, payload_error: PAYLOAD_ERROR };
    return { ...ids, status: "OK", payload: r.body };
  }

  /** The four X-Fal-Webhook-* headers (plus Content-Type) for these exact body bytes. */
  signedHeaders(requestId: string, body: string, timestamp: number, key: KeyObject = this.key): Record<string, string> {
    const ts = String(timestamp);
    const digest = createHash("sha256").update(Buffer.from(body, "utf8")).digest("hex");
    const message = Buffer.from([requestId, this.settings.userId, ts, digest].join("\n"), "utf8");
    return {
      "Content-Type": "application/json",
      "X-Fal-Webhook-Request-Id": requestId,
      "X-Fal-Webhook-User-Id": this.settings.userId,
      "X-Fal-Webhook-Timestamp": ts,
      "X-Fal-Webhook-Signature": sign(null, message, key).toString("hex"),
    };
  }

  private async deliver(job: Job, url: string): Promise<void> {
    const body = JSON.stringify(this.bodyFor(job));
    for (let attempt = 1; attempt <= 1 + RETRIES && !this.closed; attempt++) {
      const rec = await this.attempt(job.requestId, url, body, attempt);
      if (rec.status >= 200 && rec.status < 300) return this.duplicate(job, url, body, attempt);
      if (attempt <= RETRIES) await sleep(this.settings.retryDelayMs);
    }
    if (!this.closed) {
      const last = this.deliveries.filter((d) => d.requestId === job.requestId).at(-1);
      console.warn(`[fake-fal] webhook for ${job.requestId} to ${url} failed ${1 + RETRIES} times (last: ${last?.status || last?.error})`);
    }
  }

  /** One automatic POST, signed now (each attempt gets a fresh timestamp, as at fal). */
  private attempt(requestId: string, url: string, body: string, attempt: number): Promise<WebhookDelivery> {
    const headers = this.signedHeaders(requestId, body, Math.floor(Date.now() / 1000));
    this.lastSent.set(requestId, { url, headers, body });
    return this.post(requestId, url, headers, body, attempt);
  }

  /** The timeline's `webhook.duplicates`: the delivered body again, one attempt each (no retries). */
  private async duplicate(job: Job, url: string, body: string, lastAttempt: number): Promise<void> {
    const { duplicates = 0, duplicateGapMs = 50 } = job.timeline.webhook ?? {};
    for (let i = 1; i <= duplicates; i++) {
      await sleep(duplicateGapMs);
      if (this.closed) return;
      await this.attempt(job.requestId, url, body, lastAttempt + i);
    }
  }

  private async post(requestId: string, url: string, headers: Record<string, string>, body: string, attempt: number, resent?: WebhookDelivery["resent"]): Promise<WebhookDelivery> {
    const rec: WebhookDelivery = { requestId, url, status: 0, headers, body, at: Date.now(), attempt, ...(resent ? { resent } : {}) };
    const ac = new AbortController();
    this.inflight.add(ac);
    const timer = setTimeout(() => ac.abort(new Error(`no answer within ${this.settings.timeoutMs} ms`)), this.settings.timeoutMs);
    try {
      const res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: ac.signal });
      rec.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      let e: unknown = err;
      while (e instanceof Error && e.cause instanceof Error) e = e.cause;
      rec.error = e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(ac);
    }
    this.deliveries.push(rec);
    return rec;
  }

  /** See FakeFal.resendWebhook. */
  async resend(requestId: string, tamper?: WebhookTamper): Promise<WebhookDelivery> {
    if (this.closed) throw new Error("resendWebhook: the fake is closed");
    const last = this.lastSent.get(requestId);
    if (!last) throw new Error(`resendWebhook: no webhook was sent for request ${requestId} yet`);
    const now = Math.floor(Date.now() / 1000);
    let headers = { ...last.headers };
    let body = last.body;
    if (tamper === "no-headers") {
      headers = { "Content-Type": "application/json" };
    } else if (tamper === "bad-signature") {
      headers = this.signedHeaders(requestId, body, now, this.foreignKey);
    } else if (tamper === "stale-timestamp") {
      headers = this.signedHeaders(requestId, body, now - 600);
    } else if (tamper === "future-timestamp") {
      headers = this.signedHeaders(requestId, body, now + 600);
    } else if (tamper === "other-body") {
      const forged: WebhookBody = {
        request_id: requestId,
        gateway_request_id: requestId,
        status: "OK",
        payload: {
          video: { url: "https://forged.invalid/output.mp4", content_type: "video/mp4", file_name: "output.mp4", file_size: 1 },
          seed: 0,
        },
      };
      body = JSON.stringify(forged);
    }
    return this.post(requestId, last.url, headers, body, 0, tamper ?? "replay");
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const ac of this.inflight) ac.abort(new Error("fake fal closed"));
  }
}
