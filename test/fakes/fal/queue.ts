/**
 * queue.fal.run routes (submit, status, status/stream, result, cancel) and the fal.run sync route,
 * following fal's queue protocol (fal.md §3).
 */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { type Exchange, beforeStreaming, methodNotAllowed, sendJson, sleep } from "./http.js";
import { Job } from "./jobs.js";
import { ENDPOINTS, type Tier, validateSeedanceInput } from "./schema.js";
import type { FakeStorage } from "./storage.js";
import type { CancelRequest, JobTimeline, Submission } from "./types.js";
import type { Webhooks } from "./webhooks.js";

export interface QueueContext {
  storage: FakeStorage;
  jobs: Map<string, Job>;
  submissions: Submission[];
  /** Requests whose cancel fal honoured. */
  cancels: string[];
  /** Every cancel asked of a known request. */
  cancelRequests: CancelRequest[];
  /** Timeline for the next submitted job, from its input (consumes a nextTimeline() entry). */
  takeTimeline(input: unknown): JobTimeline;
  /** Open SSE responses, ended by close(). */
  streams: Set<ServerResponse>;
  webhooks: Webhooks;
  isClosed(): boolean;
}

const NOT_FOUND = { status: "NOT_FOUND" };

/**
 * Validates the body and creates the job, or answers the error itself and returns undefined.
 * `webhookUrl`: the queue submit's `fal_webhook` query parameter (fal.md §3.8).
 */
function createJob(ctx: QueueContext, x: Exchange, endpoint: string, webhookUrl?: string): Job | undefined {
  const tier: Tier | undefined = (ENDPOINTS as Record<string, Tier>)[endpoint];
  if (!tier) {
    sendJson(x, 404, { detail: `Application '${endpoint}' not found` });
    return undefined;
  }
  if (x.badJson) {
    sendJson(x, 422, { detail: [{ loc: ["body", 0], msg: "JSON decode error", type: "json_invalid" }] });
    return undefined;
  }
  if (x.body.length === 0) {
    sendJson(x, 422, { detail: [{ loc: ["body"], msg: "Field required", type: "missing" }] });
    return undefined;
  }
  const v = validateSeedanceInput(tier, x.json);
  if (!v.ok) {
    sendJson(x, 422, { detail: v.detail });
    return undefined;
  }
  const now = Date.now();
  const job = new Job(randomUUID(), endpoint, x.json, now, ctx.takeTimeline(x.json), ctx.storage);
  if (webhookUrl) job.webhookUrl = webhookUrl;
  ctx.jobs.set(job.requestId, job);
  ctx.submissions.push({ requestId: job.requestId, endpoint, input: x.json, at: now, ...(webhookUrl ? { webhookUrl } : {}) });
  if (webhookUrl) ctx.webhooks.watch(job);
  return job;
}

/** https://queue.fal.run/... */
export function handleQueue(ctx: QueueContext, x: Exchange): void | Promise<void> {
  const seg = x.target.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (seg.length < 3) return sendJson(x, 404, { detail: "Not Found" });
  const [owner, alias, third, id, ...rest] = seg;
  if (third !== "requests") {
    if (x.method !== "POST") return methodNotAllowed(x);
    const job = createJob(ctx, x, seg.join("/"), x.target.searchParams.get("fal_webhook") ?? undefined);
    if (!job) return;
    return sendJson(
      x,
      200,
      { ...job.urls, status: "IN_QUEUE", queue_position: job.timeline.queuePositions[0] ?? 0 },
      { "x-fal-request-id": job.requestId },
    );
  }
  const job = id ? ctx.jobs.get(id) : undefined;
  if (!job || job.app !== `${owner}/${alias}`) return sendJson(x, 404, NOT_FOUND);
  const sub = rest.join("/");
  if (sub === "status") {
    if (x.method !== "GET") return methodNotAllowed(x);
    const s = job.statusBody(x.target.searchParams.get("logs") === "1");
    return sendJson(x, s.httpStatus, s.body);
  }
  if (sub === "status/stream") {
    if (x.method !== "GET") return methodNotAllowed(x);
    return streamStatus(ctx, x, job);
  }
  if (sub === "cancel") {
    if (x.method !== "PUT") return methodNotAllowed(x);
    const now = Date.now();
    const asked = job.requestCancel(now);
    const honoured = asked !== "already-completed" && asked.honoured;
    ctx.cancelRequests.push({ requestId: job.requestId, at: now, honoured });
    if (asked === "already-completed") return sendJson(x, 400, { status: "ALREADY_COMPLETED" });
    if (honoured) {
      ctx.webhooks.watch(job); // a cancelled request sends no webhook: drops the pending one
      ctx.cancels.push(job.requestId);
    }
    // the same answer whether or not fal will stop it: the client cannot tell
    return sendJson(x, 202, { status: "CANCELLATION_REQUESTED" });
  }
  if (sub === "") {
    if (x.method !== "GET") return methodNotAllowed(x);
    const r = job.resultReply();
    const headers: Record<string, string> = { "x-fal-request-id": job.requestId };
    if (r.billableUnits !== undefined) headers["x-fal-billable-units"] = String(r.billableUnits);
    return sendJson(x, r.status, r.body, headers);
  }
  return sendJson(x, 404, { detail: "Not Found" });
}

/**
 * SSE: one `data:` event per change of the status object; ends after COMPLETED. It sleeps
 * until the timeline's next change (at most 100 ms, to notice cancels and releases).
 */
async function streamStatus(ctx: QueueContext, x: Exchange, job: Job): Promise<void> {
  const withLogs = x.target.searchParams.get("logs") === "1";
  if (!(await beforeStreaming(x))) return;
  x.record.status = 200;
  x.res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "x-fal-request-id": job.requestId });
  ctx.streams.add(x.res);
  let last = "";
  try {
    while (!ctx.isClosed() && !x.res.destroyed) {
      const s = job.statusBody(withLogs);
      const json = JSON.stringify(s.body);
      if (json !== last) {
        x.res.write(`data: ${json}\n\n`);
        last = json;
      }
      if (s.body.status === "COMPLETED") break;
      await sleep(Math.max(1, Math.min(100, job.nextChangeAt() - Date.now())));
    }
  } finally {
    ctx.streams.delete(x.res);
    x.res.end();
  }
}

/** https://fal.run/<endpoint>: validates, runs the job's timeline, and answers with its result. */
export async function handleSync(ctx: QueueContext, x: Exchange): Promise<void> {
  if (x.method !== "POST") return methodNotAllowed(x);
  const endpoint = x.target.pathname.split("/").filter(Boolean).map(decodeURIComponent).join("/");
  const job = createJob(ctx, x, endpoint);
  if (!job) return;
  while (job.phase().state !== "COMPLETED") {
    if (ctx.isClosed() || x.res.destroyed) {
      x.record.status = 499;
      x.res.destroy();
      return;
    }
    await sleep(10);
  }
  const r = job.resultReply();
  sendJson(x, r.status, r.body, { "x-fal-request-id": job.requestId });
}
