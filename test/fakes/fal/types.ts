/** Public types of the fake fal.ai server, plus timeline defaults and the Seedance 2.0 frame-size table. */
import type { FakeFalNsfw } from "./nsfw.js";

export type VideoOutcome = { kind: "video"; durationSec?: number; width?: number; height?: number; padToBytes?: number };
export type ErrorOutcome = { kind: "error"; status: number; detail: unknown };
export type NeverOutcome = { kind: "never" };
export type JobOutcome = VideoOutcome | ErrorOutcome | NeverOutcome;

export interface JobTimeline {
  /** Positions reported while IN_QUEUE, each held for `stepMs`. Default [2, 1, 0]. */
  queuePositions: number[];
  /** Default 50. */
  stepMs: number;
  /** IN_PROGRESS duration. Default 100. */
  runMs: number;
  /** Revealed progressively while IN_PROGRESS. */
  logs: string[];
  /** Default: a video of the requested duration/size. */
  outcome: JobOutcome;
  /**
   * fal's x-fal-billable-units on the result, which is what fal *tells* (FakeFal.billedUnits() is
   * what it *charges*). Default: for a video, billedUnitsFor() its frame size and duration (no
   * header for an error); null: no header (a video is still charged billedUnitsFor()); a number:
   * that, and that is also the charge.
   */
  billableUnits?: number | null;
  /** Delay between the job's end and its webhook delivery, for this job (overrides FakeFalOptions.webhookDelayMs). */
  webhookDelayMs?: number;
  /**
   * What a `PUT …/cancel` does (fal.md §3.5: "a request may still be executed after getting this
   * response"; a running request's cancel only signals its runner). Every cancel of an unfinished
   * request answers 202 CANCELLATION_REQUESTED; then
   * - "honoured": the request is cancelled (COMPLETED at once, result 400, no webhook, billed 0);
   * - "ignored": it goes on with its timeline, completes, sends its webhook and is billed;
   * - "auto" (default): honoured while IN_QUEUE at a position > 0, ignored once about to start
   *   (position 0) or IN_PROGRESS.
   */
  cancel?: "auto" | "honoured" | "ignored";
  /** How fal misbehaves delivering this job's webhook (fal.md §3.8: deliveries repeat). */
  webhook?: WebhookQuirks;
}

export interface WebhookQuirks {
  /**
   * A successful request's webhook carries `payload: null` and fal's `payload_error` instead of
   * the output (the result route still answers the video).
   */
  payloadError?: boolean;
  /** After the delivery was answered 2xx, the same body is POSTed this many more times (each freshly signed). */
  duplicates?: number;
  /** Pause before each duplicate. Default 50. */
  duplicateGapMs?: number;
}

export interface FakeFalOptions {
  /** If set, every queue/storage request must carry "Authorization: Key <key>" else 401. */
  key?: string;
  /** Default timeline for every submitted job. */
  timeline?: Partial<JobTimeline>;
  /** The X-Fal-Webhook-User-Id the fake signs webhooks with. Default "fake-fal-user". */
  webhookUserId?: string;
  /** Delay between a job's end and its webhook delivery. Default 0. */
  webhookDelayMs?: number;
  /** Pause before each webhook retry (the receiver answered non-2xx or could not be reached). Default 100. */
  webhookRetryDelayMs?: number;
  /** An attempt with no answer after this long is abandoned (status 0), as fal's 15-second timeout. Default 15000. */
  webhookTimeoutMs?: number;
  /**
   * Unrelated Ed25519 keys listed in the JWKS *before* the signing key, so a verifier that
   * only tries the first key fails. Default 0.
   */
  extraJwksKeys?: number;
}

/** How `resendWebhook` forges a webhook. */
export type WebhookTamper = "no-headers" | "bad-signature" | "stale-timestamp" | "future-timestamp" | "other-body";

/** One webhook POST the fake made (each retry and each resend is its own record). */
export interface WebhookDelivery {
  requestId: string;
  url: string;
  /** The receiver's HTTP status; 0 if no answer came (connection failed, timed out, fake closed). */
  status: number;
  /** The headers as sent. */
  headers: Record<string, string>;
  /** The exact body sent (UTF-8 JSON). */
  body: string;
  /** When the POST started (ms). */
  at: number;
  /**
   * 1 for the first delivery, 2..4 for fal-style retries, the next numbers for the timeline's
   * `webhook.duplicates`, 0 for resendWebhook().
   */
  attempt: number;
  /** Set on resendWebhook() records: "replay" for an exact replay, else the forgery sent. */
  resent?: "replay" | WebhookTamper;
  /** Why no answer came, when status is 0. */
  error?: string;
}

/** The JSON body of a webhook (fal.md §3.8). `payload_error` comes with `payload: null` (JobTimeline.webhook.payloadError). */
export type WebhookBody =
  | { request_id: string; gateway_request_id: string; status: "OK"; payload: unknown; payload_error?: string }
  | { request_id: string; gateway_request_id: string; status: "ERROR"; error: string; payload: unknown };

export interface RecordedRequest {
  method: string;
  /** The real fal URL (x-fal-target-url, or reconstructed from the path in direct mode); the fake's own URL for /upload and /files. */
  target: string;
  /** Pathname of `target` (no query string). */
  path: string;
  auth?: string;
  json?: unknown;
  status: number;
  at: number;
}

export interface Submission {
  requestId: string;
  endpoint: string;
  input: any;
  at: number;
  /** The submit's `fal_webhook` query parameter, if any. */
  webhookUrl?: string;
}

export interface Upload {
  fileUrl: string;
  contentType: string;
  bytes: Buffer;
}

export type JobState = "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED" | "CANCELLED";

export interface FakeJob {
  requestId: string;
  endpoint: string;
  input: any;
  submittedAt: number;
  /** Live: computed from the timeline on every read. */
  readonly state: JobState;
  /** Set once the job completed with a video. */
  video?: Buffer;
  videoUrl?: string;
  timeline: JobTimeline;
  /** When fal reports it COMPLETED (undefined while it may never end). */
  readonly completedAt: number | undefined;
  /** The submit's `fal_webhook` query parameter, if any (queue submits only). */
  webhookUrl?: string;
}

export interface FailReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One `PUT …/cancel` that reached a known request (the 400 ALREADY_COMPLETED ones too, as not honoured). */
export interface CancelRequest {
  requestId: string;
  at: number;
  /** True when fal stopped the request; false when it answered 202 but ran it anyway, or 400. */
  honoured: boolean;
}

/** What GET/HEAD of an expired output file answers: a status with a JSON `detail`, or a 302. */
export type OutputExpiry = { status: 401 | 403 | 404 | 410 } | { redirectTo: string };

/** Which route a request is for, as told to a FaultPolicy. */
export type FaultKind = "submit" | "status" | "stream" | "result" | "cancel" | "upload-initiate" | "upload" | "file" | "jwks" | "other";

/** A request as a FaultPolicy sees it. */
export interface FaultRequest {
  kind: FaultKind;
  method: string;
  /** The real (fal) target URL, as in RecordedRequest.target. */
  target: string;
  /** From the path for status/stream/result/cancel; for "file", when the file is a request's output. */
  requestId?: string;
  /** The parsed JSON body of a submit. */
  input?: unknown;
}

/**
 * `fail`: answer the reply instead of handling the request (nothing is queued);
 * `lose`: handle it (a submit queues) but lose the answer, as loseAnswerNext;
 * `holdMs`: handle it that much later, as holdNext; `holdAnswerMs`: handle it now, answer later, as holdAnswerNext.
 */
export type FaultDecision = { fail: FailReply } | { lose: "reset" | FailReply } | { holdMs: number } | { holdAnswerMs: number };

export type FaultPolicy = (r: FaultRequest) => FaultDecision | undefined;

/** Which requests a one-shot fault rule applies to: `target` is tested against the real target URL. */
export interface FaultMatch {
  method?: string;
  target: RegExp;
}

/**
 * The fake fal.ai server (startFakeFal). Besides Seedance it serves the NSFW image classifier
 * `fal-ai/imageutils/nsfw` (FakeFalNsfw, nsfw.ts): `nsfwScores`, `setNsfwProbability(bytes, p)`,
 * `setDefaultNsfwProbability(p)` and the `nsfwChecks` record. Its requests go through the same
 * faults (a submit's FaultKind is "submit": tell it by `target`) and key check, and are in
 * `requests`, never in `submissions` or `jobs`.
 */
export interface FakeFal extends FakeFalNsfw {
  /** Put this in FAL_PROXY_URL / proxyUrl: { url, when: "always" }. */
  proxyUrl: string;
  /** http://127.0.0.1:PORT (direct mode: paths as on the fal hosts). */
  baseUrl: string;
  /** `${baseUrl}/.well-known/jwks.json`: the public key(s) webhooks are signed with (no auth needed). */
  jwksUrl: string;
  /** The X-Fal-Webhook-User-Id of every webhook. */
  webhookUserId: string;
  /** Every webhook POST made, in order (retries and resends included), recorded once answered. */
  webhooks: WebhookDelivery[];
  /**
   * POSTs the request's last webhook again (one attempt, no retries) and records it: with no
   * `tamper`, the exact same headers and body (a replay); otherwise a forgery:
   * "no-headers" (no X-Fal-Webhook-* headers), "bad-signature" (signed now by a key not in the
   * JWKS), "stale-timestamp" (timestamp 10 minutes old, signed consistently with the real key), "future-timestamp" (10 minutes ahead, likewise),
   * "other-body" (a forged success body under the original headers and signature).
   * Rejects if the request has sent no webhook yet.
   */
  resendWebhook(requestId: string, tamper?: WebhookTamper): Promise<WebhookDelivery>;
  requests: RecordedRequest[];
  submissions: Submission[];
  /** Request ids whose cancel fal honoured (see cancelRequests for every cancel asked). */
  cancels: string[];
  /** Every cancel asked of a known request, honoured or not, in order. */
  cancelRequests: CancelRequest[];
  uploads: Upload[];
  jobs: Map<string, FakeJob>;
  nextTimeline(t: Partial<JobTimeline>): void;
  /**
   * Chooses each submitted job's timeline from its input (a simulation's plan, keyed by something in
   * the prompt), under nextTimeline()'s one-shot entries; undefined turns it off.
   */
  setTimelines(choose: ((input: unknown) => Partial<JobTimeline> | undefined) | undefined): void;
  /**
   * What fal *charges* for a request, in thousands of tokens, whatever the client did (the
   * x-fal-billable-units header is only what fal *tells*, and only to a client that fetched the
   * result): null while the request has not ended; a video: the timeline's `billableUnits` if a
   * number, else billedUnitsFor() (also when the header is suppressed with null); an error: the
   * timeline's `billableUnits` if a number, else 0; a cancel fal honoured: 0.
   * Throws for an unknown request id.
   */
  billedUnits(requestId: string): number | null;
  /** The sum of billedUnits() over every request so far (unfinished ones count 0). */
  totalBilledUnits(): number;
  /** Answers the next matching requests with `reply` instead of handling them (nothing is queued). */
  failNext(match: FaultMatch, reply: FailReply, times?: number): void;
  /**
   * Handles the next matching requests as usual (a submit queues its job) but loses the answer:
   * `"reset"` cuts the connection, a reply is sent instead of the real one (a gateway error).
   */
  loseAnswerNext(match: FaultMatch, lost: "reset" | FailReply, times?: number): void;
  /** Holds the next matching requests `ms` before handling them. */
  holdNext(match: FaultMatch, ms: number, times?: number): void;
  /**
   * Handles the next matching requests at once (a submit queues its job and schedules its
   * webhook) but sends the HTTP answer only `ms` later: fal's webhook can beat the submit's answer.
   */
  holdAnswerNext(match: FaultMatch, ms: number, times?: number): void;
  /**
   * For every request after the one-shot rules above: when none of them applied to it, the
   * policy is asked and its decision applied. `undefined` removes the policy.
   */
  setPolicy(policy: FaultPolicy | undefined): void;
  /**
   * From now on GET/HEAD of the request's output video URL answers `reply` (fal's signed file URLs
   * expire; a CDN may redirect). Throws for an unknown request id.
   */
  expireOutput(requestId: string, reply: OutputExpiry): void;
  release(requestId: string): void;
  waitFor<T>(fn: () => T | undefined | false | null, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export const DEFAULT_TIMELINE: JobTimeline = {
  queuePositions: [2, 1, 0],
  stepMs: 50,
  runMs: 100,
  logs: ["Loading model", "Generating frames", "Encoding video"],
  outcome: { kind: "video" },
};

export function mergeTimeline(...parts: Array<Partial<JobTimeline> | undefined>): JobTimeline {
  const t: JobTimeline = { ...DEFAULT_TIMELINE, queuePositions: [...DEFAULT_TIMELINE.queuePositions], logs: [...DEFAULT_TIMELINE.logs] };
  for (const p of parts) {
    if (!p) continue;
    if (p.queuePositions !== undefined) t.queuePositions = [...p.queuePositions];
    if (p.stepMs !== undefined) t.stepMs = p.stepMs;
    if (p.runMs !== undefined) t.runMs = p.runMs;
    if (p.logs !== undefined) t.logs = [...p.logs];
    if (p.outcome !== undefined) t.outcome = p.outcome;
    if (p.billableUnits !== undefined) t.billableUnits = p.billableUnits;
    if (p.webhookDelayMs !== undefined) t.webhookDelayMs = p.webhookDelayMs;
    if (p.cancel !== undefined) t.cancel = p.cancel;
    if (p.webhook !== undefined) t.webhook = { ...p.webhook };
  }
  return t;
}

/** Seedance 2.0 output frame sizes (fal.md §2.2). `auto` aspect is treated as 16:9. */
export const FRAME_SIZES: Record<string, Record<string, [number, number]>> = {
  "480p": { "16:9": [864, 496], "4:3": [752, 560], "1:1": [640, 640], "3:4": [560, 752], "9:16": [496, 864], "21:9": [992, 432] },
  "720p": { "16:9": [1280, 720], "4:3": [1112, 834], "1:1": [960, 960], "3:4": [834, 1112], "9:16": [720, 1280], "21:9": [1470, 630] },
  "1080p": { "16:9": [1920, 1080], "4:3": [1664, 1248], "1:1": [1440, 1440], "3:4": [1248, 1664], "9:16": [1080, 1920], "21:9": [2206, 946] },
};

/** Frame size and duration the fake renders for a (valid) Seedance input. */
export function expectedVideo(input: { resolution?: string; aspect_ratio?: string; duration?: string }): {
  width: number;
  height: number;
  durationSec: number;
} {
  const res = input.resolution ?? "720p";
  const aspect = !input.aspect_ratio || input.aspect_ratio === "auto" ? "16:9" : input.aspect_ratio;
  const size = FRAME_SIZES[res]?.[aspect] ?? [1280, 720];
  const durationSec = !input.duration || input.duration === "auto" ? 5 : Number(input.duration);
  return { width: size[0], height: size[1], durationSec };
}
