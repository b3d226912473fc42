import { ApiError, createFalClient, type FalClient, type QueueStatus } from "@fal-ai/client";
import type { SeedanceInput, SeedanceOutput } from "./input.js";
import { seedanceOutputSchema } from "./input.js";
import { submitOnce } from "./submit.js";
import { z } from "zod";

export type FalStatus =
  | { status: "IN_QUEUE"; queuePosition: number }
  | { status: "IN_PROGRESS"; lastLog: string | undefined }
  | { status: "COMPLETED" };

/** The small part of fal the bot uses, by request id so that any process can resume a job. */
export interface Seedance {
  readonly model: string;
  uploadImage(bytes: Buffer, contentType: string, fileName: string): Promise<string>;
  /** Sends the job once: throws SubmitNotSent (safe to send again), fal's 4xx, or SubmitOutcomeUnknown (never again). */
  submit(input: SeedanceInput): Promise<{ requestId: string; queuePosition: number }>;
  status(requestId: string): Promise<FalStatus>;
  /**
   * Follows the job on fal's status stream, calling `onStatus` for each change, until it is
   * COMPLETED, the stream ends, nothing arrives for `stallMs`, or `signal` aborts. Resolves
   * with the last status seen (undefined when none arrived).
   */
  watch(requestId: string, onStatus: (status: FalStatus) => void, signal: AbortSignal, stallMs: number): Promise<FalStatus | undefined>;
  /** Throws fal's ApiError/ValidationError when the job failed: fal has no FAILED status. */
  result(requestId: string): Promise<SeedanceOutput>;
  /**
   * fal's billed units for a request, from the `x-fal-billable-units` header of its result
   * (success or error), once `result` was asked; null when fal sent none. Read once.
   */
  billableUnits(requestId: string): number | null;
  /**
   * Asks fal to cancel. "requested": fal took the request (2xx), which is only a request: a job
   * about to start or already running may still render and bill; "completed": fal says it is
   * over already; "unknown": no answer (or an error) tells either way.
   */
  cancel(requestId: string): Promise<CancelAnswer>;
  /**
   * fal's NSFW classifier on a picture fal can fetch (a Discord attachment or a fal storage URL):
   * the probability it is not safe for work, or the error when fal did not tell (fal-js retries
   * first); `attempts`: how many of the calls fal may have run and billed (answered, or not
   * answered at all; a 4xx refusal is not counted).
   */
  nsfwCheck(imageUrl: string): Promise<({ probability: number } | { error: unknown }) & { attempts: number }>;
}

/** fal's NSFW image classifier: `{image_url}` in, `{nsfw_probability}` out. */
export const NSFW_ENDPOINT = "fal-ai/imageutils/nsfw";
const nsfwOutput = z.object({ nsfw_probability: z.number().min(0).max(1) });

export type CancelAnswer = "requested" | "completed" | "unknown";

/** fal calls wait this long for an answer at most (each attempt of fal's own retries). */
const CALL_TIMEOUT_MS = 30_000;
/** A picture's upload to fal storage (up to 30 MB) may take longer. */
const UPLOAD_TIMEOUT_MS = 120_000;
/** The status stream stays open while fal works; only its first answer is timed. */
const STREAM_OPEN_TIMEOUT_MS = 15_000;

function toStatus(s: QueueStatus): FalStatus {
  if (s.status === "IN_QUEUE") return { status: "IN_QUEUE", queuePosition: s.queue_position ?? 0 };
  if (s.status === "IN_PROGRESS") {
    const logs = s.logs ?? [];
    return { status: "IN_PROGRESS", lastLog: logs.length ? logs[logs.length - 1]!.message : undefined };
  }
  return { status: "COMPLETED" };
}

export interface SeedanceOptions {
  model: string;
  falKey: string | undefined;
  proxyUrl: string | undefined;
  /** fal calls it when a request ends (FAL_WEBHOOK_URL). */
  webhookUrl?: string | null;
}

/** Results whose billed units were seen but not read yet, at most (the oldest are dropped). */
const UNITS_KEPT = 1_000;

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const entry = Object.entries(headers as Record<string, string>).find(([k]) => k.toLowerCase() === name);
  return entry?.[1];
}

/** Fetches with a deadline: a whole call times out; a status stream only until it answers. */
async function fetchWithDeadline(url: string, input: Parameters<typeof fetch>[0], init: RequestInit | undefined): Promise<Response> {
  if (!/\/status\/stream(\?|$)/.test(url)) {
    const budget = init?.method?.toUpperCase() === "PUT" ? UPLOAD_TIMEOUT_MS : CALL_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(budget);
    return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline });
  }
  const opening = new AbortController();
  const timer = setTimeout(() => opening.abort(new DOMException("fal's status stream did not answer", "TimeoutError")), STREAM_OPEN_TIMEOUT_MS);
  try {
    return await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, opening.signal]) : opening.signal });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The fetch @fal-ai/client uses: every call has a deadline (a hung call must not stall a cancel
 * or a job's deadline; fal-js does not retry a timeout), and fal's billed units are noted from
 * result responses (the client does not surface the header yet). Through a proxy the real URL
 * is in x-fal-target-url.
 */
function fetchNotingUnits(units: Map<string, number>, checks: Map<string, number>): typeof fetch {
  return async (input, init) => {
    const url = headerOf(init?.headers, "x-fal-target-url") ?? String(input instanceof Request ? input.url : input);
    // fal-js retries a check by itself (429, 5xx): each attempt fal may have run is counted, for the books
    const checked = url.endsWith(`/${NSFW_ENDPOINT}`) ? imageUrlOf(init?.body) : undefined;
    let response: Response;
    try {
      response = await fetchWithDeadline(url, input, init);
    } catch (err) {
      if (checked) checks.set(checked, (checks.get(checked) ?? 0) + 1);
      throw err;
    }
    if (checked && mayHaveRun(response.status)) checks.set(checked, (checks.get(checked) ?? 0) + 1);
    const billed = response.headers.get("x-fal-billable-units");
    if (billed !== null && Number.isFinite(Number(billed))) {
      const requestId = /\/requests\/([^/?]+)(?:\?|$)/.exec(url)?.[1]; // the result route, not /status
      if (requestId) {
        units.set(requestId, Number(billed));
        if (units.size > UNITS_KEPT) units.delete(units.keys().next().value!);
      }
    }
    return response;
  };
}

/**
 * Whether fal may have run a request that got this answer: it did (2xx), or a gateway's error
 * hides whether it did (500, 502, 504, 408). A refusal (other 4xx, 429, 503) ran nothing.
 */
function mayHaveRun(status: number): boolean {
  return (status >= 200 && status < 300) || [408, 500, 502, 504].includes(status);
}

function imageUrlOf(body: unknown): string | undefined {
  if (typeof body !== "string") return undefined;
  try {
    const url = (JSON.parse(body) as { image_url?: unknown }).image_url;
    return typeof url === "string" ? url : undefined;
  } catch {
    return undefined;
  }
}

export function createSeedance(options: SeedanceOptions): Seedance {
  const units = new Map<string, number>();
  const checks = new Map<string, number>();
  const fal: FalClient = createFalClient({
    credentials: options.falKey,
    fetch: fetchNotingUnits(units, checks),
    ...(options.proxyUrl ? { proxyUrl: { url: options.proxyUrl, when: "always" as const } } : {}),
  });
  const model = options.model;
  return {
    model,
    async uploadImage(bytes, contentType, fileName) {
      return fal.storage.upload(new File([new Uint8Array(bytes)], fileName, { type: contentType }));
    },
    // sent once through a path of its own: see submit.ts
    submit: (input) => submitOnce({ model, falKey: options.falKey, proxyUrl: options.proxyUrl, webhookUrl: options.webhookUrl ?? null }, input),
    async status(requestId) {
      return toStatus(await fal.queue.status(model, { requestId, logs: true }));
    },
    async watch(requestId, onStatus, signal, stallMs) {
      if (signal.aborted) return undefined;
      const stream = await fal.queue.streamStatus(model, { requestId, logs: true });
      let last: FalStatus | undefined;
      let lastEventAt = Date.now();
      const stop = () => stream.abort();
      stream.on("data", (raw: unknown) => {
        lastEventAt = Date.now();
        if (!raw || typeof raw !== "object" || !("status" in raw)) return;
        last = toStatus(raw as QueueStatus);
        onStatus(last);
        if (last.status === "COMPLETED") stop();
      });
      signal.addEventListener("abort", stop);
      const stall = setInterval(() => Date.now() - lastEventAt > stallMs && stop(), Math.max(50, stallMs / 4));
      try {
        await stream.done();
      } finally {
        clearInterval(stall);
        signal.removeEventListener("abort", stop);
      }
      return last;
    },
    async result(requestId) {
      const r = await fal.queue.result(model, { requestId });
      return seedanceOutputSchema.parse(r.data);
    },
    billableUnits(requestId) {
      const n = units.get(requestId);
      units.delete(requestId);
      return n ?? null;
    },
    async cancel(requestId) {
      try {
        await fal.queue.cancel(model, { requestId });
        return "requested";
      } catch (err) {
        // 400 ALREADY_COMPLETED: fal is done with it (rendered or not: its result says)
        return err instanceof ApiError && err.status === 400 ? "completed" : "unknown";
      }
    },
    async nsfwCheck(imageUrl) {
      try {
        const r = await fal.run(NSFW_ENDPOINT, { input: { image_url: imageUrl } });
        return { probability: nsfwOutput.parse(r.data).nsfw_probability, attempts: checks.get(imageUrl) ?? 1 };
      } catch (error) {
        return { error, attempts: checks.get(imageUrl) ?? 0 };
      } finally {
        checks.delete(imageUrl);
      }
    },
  };
}
