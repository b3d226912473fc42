/**
 * fal's NSFW image classifier `fal-ai/imageutils/nsfw`: input `{ image_url }`, output
 * `{ nsfw_probability }` (0..1). Served on the sync route (POST https://fal.run/fal-ai/imageutils/nsfw,
 * what `fal.run()` calls) and on the queue (POST https://queue.fal.run/fal-ai/imageutils/nsfw, then
 * …/fal-ai/imageutils/requests/<id>[/status|/status/stream|/cancel]).
 *
 * Like fal, it downloads the image: a data URI is decoded, a file of this fake's own storage is
 * read directly, anything else is fetched with a plain GET. The probability is looked up by the
 * sha256 of the bytes (FakeFal.setNsfwProbability), else the default. It never enters `jobs` or
 * `submissions` (which stay Seedance-only); every request that reaches it is in `nsfwChecks`.
 */
import { createHash, randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { type Exchange, beforeStreaming, methodNotAllowed, sendJson, sleep } from "./http.js";
import { type FalErrorDetail, fileError, imageKind, validateNsfwInput } from "./schema.js";
import type { FakeStorage } from "./storage.js";

export const NSFW_ENDPOINT = "fal-ai/imageutils/nsfw";
const NSFW_APP = "fal-ai/imageutils";
export const DEFAULT_NSFW_PROBABILITY = 0.01;
const DOWNLOAD_TIMEOUT_MS = 10_000;

/** One request that reached the classifier (past the injected faults and the key check). */
export interface NsfwCheck {
  /** The input's `image_url` ("" when it was missing or not a string). */
  imageUrl: string;
  /** The `nsfw_probability` answered; null when it answered an error. */
  probability: number | null;
  /**
   * What the classifier answered: 200, or 422 (schema error, file_download_error,
   * image_load_error). An answer lost by an injected fault still shows here as answered.
   */
  status: number;
  /** When the request arrived (ms). */
  at: number;
  /** "sync": POST fal.run (what fal.run() does); "queue": a queue submit. */
  via: "sync" | "queue";
  /** fal's request id (x-fal-request-id); absent for a queue submit refused at once (422). */
  requestId?: string;
}

/** The NSFW classifier part of FakeFal. */
export interface FakeFalNsfw {
  /**
   * The classifier's registry: lowercase hex sha256 of an image's bytes -> the `nsfw_probability`
   * it answers for them. Filled by setNsfwProbability(); images not in it score the default.
   */
  nsfwScores: Map<string, number>;
  /**
   * `fal-ai/imageutils/nsfw` answers `p` (0..1, else RangeError) for these exact bytes, whatever
   * URL serves them.
   */
  setNsfwProbability(bytes: Buffer | Uint8Array, p: number): void;
  /** What an image not in nsfwScores scores (0..1, else RangeError). Default 0.01. */
  setDefaultNsfwProbability(p: number): void;
  /**
   * Every request that reached `fal-ai/imageutils/nsfw` (sync or queue) in arrival order,
   * recorded when answered (a queued one when its classification ended). Requests answered by
   * an injected `fail` never reach it and are not here (they are in `requests`). A successful
   * classification answers `x-fal-billable-units: 1`. None of it is in `submissions` or `jobs`.
   */
  nsfwChecks: NsfwCheck[];
}

interface Outcome {
  status: number;
  body: unknown;
  probability: number | null;
}

interface Queued {
  requestId: string;
  submittedAt: number;
  outcome?: Outcome;
}

const NOT_FOUND = { status: "NOT_FOUND" };

function checkProbability(p: number): number {
  if (typeof p !== "number" || !Number.isFinite(p) || p < 0 || p > 1) throw new RangeError(`nsfw probability must be within 0..1, got ${String(p)}`);
  return p;
}

export function sha256Hex(bytes: Buffer | Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** PNG, JPEG, WebP or GIF: what the classifier can open. */
function isImage(bytes: Buffer): boolean {
  if (imageKind(bytes)) return true;
  const head = bytes.toString("latin1", 0, 6);
  return head === "GIF87a" || head === "GIF89a";
}

function decodeDataUri(uri: string): Buffer | undefined {
  const m = /^data:([^,]*),(.*)$/s.exec(uri);
  if (!m) return undefined;
  const [, meta = "", data = ""] = m;
  try {
    return meta.split(";").includes("base64") ? Buffer.from(data, "base64") : Buffer.from(decodeURIComponent(data), "utf8");
  } catch {
    return undefined;
  }
}

export class NsfwClassifier {
  readonly scores = new Map<string, number>();
  readonly checks: NsfwCheck[] = [];
  defaultProbability = DEFAULT_NSFW_PROBABILITY;
  private readonly queued = new Map<string, Queued>();

  constructor(
    private readonly baseUrl: string,
    private readonly storage: FakeStorage,
    /** Open SSE responses, ended by the fake's close(). */
    private readonly streams: Set<ServerResponse>,
    private readonly isClosed: () => boolean,
  ) {}

  setProbability(bytes: Buffer | Uint8Array, p: number): void {
    this.scores.set(sha256Hex(bytes), checkProbability(p));
  }

  setDefault(p: number): void {
    this.defaultProbability = checkProbability(p);
  }

  /** Whether this (fal) target is the classifier's: its sync route, or anything of its app on the queue. */
  handles(target: URL): boolean {
    if (target.host === "fal.run") return target.pathname === `/${NSFW_ENDPOINT}`;
    return target.host === "queue.fal.run" && target.pathname.startsWith(`/${NSFW_APP}/`);
  }

  handle(x: Exchange): void | Promise<void> {
    if (x.target.host === "fal.run") return this.handleSync(x);
    const seg = x.target.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const [, , third, id, ...rest] = seg;
    if (third !== "requests") {
      if (x.method !== "POST") return methodNotAllowed(x);
      const endpoint = seg.join("/");
      if (endpoint !== NSFW_ENDPOINT) return sendJson(x, 404, { detail: `Application '${endpoint}' not found` });
      return this.submit(x);
    }
    const q = id ? this.queued.get(id) : undefined;
    if (!q) return sendJson(x, 404, NOT_FOUND);
    const sub = rest.join("/");
    const withLogs = x.target.searchParams.get("logs") === "1";
    if (sub === "status") {
      if (x.method !== "GET") return methodNotAllowed(x);
      const s = this.statusBody(q, withLogs);
      return sendJson(x, s.status === "COMPLETED" ? 200 : 202, s);
    }
    if (sub === "status/stream") {
      if (x.method !== "GET") return methodNotAllowed(x);
      return this.streamStatus(x, q, withLogs);
    }
    if (sub === "cancel") {
      if (x.method !== "PUT") return methodNotAllowed(x);
      // a classification is not stopped once started: the answer says nothing of it
      return q.outcome ? sendJson(x, 400, { status: "ALREADY_COMPLETED" }) : sendJson(x, 202, { status: "CANCELLATION_REQUESTED" });
    }
    if (sub === "") {
      if (x.method !== "GET") return methodNotAllowed(x);
      if (!q.outcome) return sendJson(x, 400, { detail: "Request is still in progress" }, { "x-fal-request-id": q.requestId });
      return sendJson(x, q.outcome.status, q.outcome.body, this.headers(q.requestId, q.outcome));
    }
    return sendJson(x, 404, { detail: "Not Found" });
  }

  private headers(requestId: string, o: Outcome): Record<string, string> {
    return { "x-fal-request-id": requestId, ...(o.status === 200 ? { "x-fal-billable-units": "1" } : {}) };
  }

  /** POST https://fal.run/fal-ai/imageutils/nsfw: classifies and answers the output. */
  private async handleSync(x: Exchange): Promise<void> {
    if (x.method !== "POST") return methodNotAllowed(x);
    const at = Date.now();
    const requestId = randomUUID();
    const input = this.validate(x);
    const o = "error" in input ? input.error : await this.classify(input.imageUrl);
    this.record(x, at, "sync", o, requestId);
    sendJson(x, o.status, o.body, this.headers(requestId, o));
  }

  /** POST https://queue.fal.run/fal-ai/imageutils/nsfw: queues (refusing a bad input at once). */
  private submit(x: Exchange): void {
    const at = Date.now();
    const input = this.validate(x);
    if ("error" in input) {
      this.record(x, at, "queue", input.error);
      return sendJson(x, input.error.status, input.error.body);
    }
    const q: Queued = { requestId: randomUUID(), submittedAt: at };
    this.queued.set(q.requestId, q);
    void this.classify(input.imageUrl).then((o) => {
      this.record(x, at, "queue", o, q.requestId);
      q.outcome = o;
    });
    sendJson(x, 200, { ...this.urls(q.requestId), status: "IN_QUEUE", queue_position: 0 }, { "x-fal-request-id": q.requestId });
  }

  private record(x: Exchange, at: number, via: NsfwCheck["via"], o: Outcome, requestId?: string): void {
    const url = (x.json as { image_url?: unknown } | undefined)?.image_url;
    this.checks.push({ imageUrl: typeof url === "string" ? url : "", probability: o.probability, status: o.status, at, via, ...(requestId ? { requestId } : {}) });
  }

  private validate(x: Exchange): { imageUrl: string } | { error: Outcome } {
    const refuse = (detail: FalErrorDetail[]) => ({ error: { status: 422, body: { detail }, probability: null } });
    if (x.badJson) return refuse([{ loc: ["body", 0], msg: "JSON decode error", type: "json_invalid" }]);
    if (x.body.length === 0) return refuse([{ loc: ["body"], msg: "Field required", type: "missing" }]);
    const v = validateNsfwInput(x.json);
    return v.ok ? { imageUrl: v.input.image_url } : refuse(v.detail);
  }

  /** Downloads the image and scores it, or fal's 422 when it cannot be downloaded or opened. */
  private async classify(imageUrl: string): Promise<Outcome> {
    const bytes = await this.download(imageUrl);
    const fail = (d: FalErrorDetail): Outcome => ({ status: 422, body: { detail: [d] }, probability: null });
    if (!bytes) return fail(fileError("image_url", "file_download_error", imageUrl));
    if (!isImage(bytes)) return fail(fileError("image_url", "image_load_error", imageUrl));
    const probability = this.scores.get(sha256Hex(bytes)) ?? this.defaultProbability;
    return { status: 200, body: { nsfw_probability: probability }, probability };
  }

  /** The bytes at the URL, or undefined if the download failed (non-2xx, no answer, timeout). */
  private async download(url: string): Promise<Buffer | undefined> {
    if (url.startsWith("data:")) return decodeDataUri(url);
    if (new URL(url).origin === this.baseUrl) {
      // this fake's own storage, read directly (no request recorded, no fault applied)
      const f = this.storage.lookup(url);
      return f && !this.storage.expired.has(f.id) ? f.bytes : undefined;
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
      if (!res.ok) {
        await res.body?.cancel();
        return undefined;
      }
      return Buffer.from(await res.arrayBuffer());
    } catch {
      return undefined;
    }
  }

  private urls(requestId: string): { request_id: string; response_url: string; status_url: string; cancel_url: string } {
    const base = `https://queue.fal.run/${NSFW_APP}/requests/${requestId}`;
    return { request_id: requestId, response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  }

  private statusBody(q: Queued, withLogs: boolean): Record<string, unknown> {
    const logs = withLogs ? [] : null;
    if (!q.outcome) return { status: "IN_PROGRESS", ...this.urls(q.requestId), logs };
    return { status: "COMPLETED", ...this.urls(q.requestId), logs, metrics: { inference_time: 0.05 } };
  }

  /** SSE: the status object on each change, until COMPLETED. */
  private async streamStatus(x: Exchange, q: Queued, withLogs: boolean): Promise<void> {
    if (!(await beforeStreaming(x))) return;
    x.record.status = 200;
    x.res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "x-fal-request-id": q.requestId });
    this.streams.add(x.res);
    let last = "";
    try {
      while (!this.isClosed() && !x.res.destroyed) {
        const s = this.statusBody(q, withLogs);
        const json = JSON.stringify(s);
        if (json !== last) x.res.write(`data: ${json}\n\n`);
        last = json;
        if (s.status === "COMPLETED") break;
        await sleep(10);
      }
    } finally {
      this.streams.delete(x.res);
      x.res.end();
    }
  }
}
