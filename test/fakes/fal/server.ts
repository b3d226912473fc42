/**
 * startFakeFal(): an in-process HTTP server speaking fal's queue + storage protocol for Seedance 2.0.
 *
 * Routing: if the request carries `x-fal-target-url` (the client's proxyUrl mode) that URL is the target;
 * otherwise the request path is read as a path on the fal hosts ("direct mode", e.g. a requestMiddleware that
 * swaps the origin): /storage/... and /auth/... -> https://rest.fal.ai, anything else -> https://queue.fal.run.
 * /upload/... and /files/... on this server are its own "signed URL"/CDN routes (no auth).
 * Every request (but one with an unusable target) first goes through the injected faults (faults.ts).
 * fal-ai/imageutils/nsfw (sync and queue) is served by nsfw.ts, outside `jobs` and `submissions`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sumUnits } from "./billing.js";
import { Faults, classify } from "./faults.js";
import { type Exchange, readBody, sendJson, sleep } from "./http.js";
import type { Job } from "./jobs.js";
import { NsfwClassifier } from "./nsfw.js";
import { handleQueue, handleSync, type QueueContext } from "./queue.js";
import { FakeStorage } from "./storage.js";
import { JWKS_PATH, Webhooks } from "./webhooks.js";
import {
  type CancelRequest,
  type FakeFal,
  type FakeFalOptions,
  type JobTimeline,
  type RecordedRequest,
  type Submission,
  mergeTimeline,
} from "./types.js";

export const PROXY_PATH = "/fal/proxy";
const TARGET_HEADER = "x-fal-target-url";

export async function startFakeFal(opts: FakeFalOptions = {}): Promise<FakeFal> {
  const requests: RecordedRequest[] = [];
  const submissions: Submission[] = [];
  const cancels: string[] = [];
  const cancelRequests: CancelRequest[] = [];
  const jobs = new Map<string, Job>();
  const pendingTimelines: Array<Partial<JobTimeline>> = [];
  let timelineFor: ((input: unknown) => Partial<JobTimeline> | undefined) | undefined;
  const faults = new Faults();
  const streams = new Set<ServerResponse>();
  let closed = false;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ detail: `fake fal crashed: ${String(err instanceof Error ? err.stack : err)}` }));
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const storage = new FakeStorage(baseUrl);
  const nsfw = new NsfwClassifier(baseUrl, storage, streams, () => closed);
  const webhooks = new Webhooks({
    userId: opts.webhookUserId ?? "fake-fal-user",
    delayMs: opts.webhookDelayMs ?? 0,
    retryDelayMs: opts.webhookRetryDelayMs ?? 100,
    timeoutMs: opts.webhookTimeoutMs ?? 15_000,
    extraKeys: opts.extraJwksKeys ?? 0,
  });

  const ctx: QueueContext = {
    storage,
    jobs,
    submissions,
    cancels,
    cancelRequests,
    streams,
    webhooks,
    takeTimeline: (input) => mergeTimeline(opts.timeline, timelineFor?.(input), pendingTimelines.shift()),
    isClosed: () => closed,
  };

  /** The real target URL of a request, or an error message. */
  function resolveTarget(req: IncomingMessage, path: string): URL | string {
    const header = req.headers[TARGET_HEADER];
    if (typeof header === "string" && header) {
      try {
        return new URL(header);
      } catch {
        return `Invalid ${TARGET_HEADER}: ${header}`;
      }
    }
    const pathname = path.split("?")[0] ?? "";
    if (pathname === PROXY_PATH) return `Missing the ${TARGET_HEADER} header`;
    if (/^\/(upload|files)\//.test(pathname) || pathname === JWKS_PATH) return new URL(path, baseUrl);
    if (/^\/(storage|auth)\//.test(pathname)) return new URL(path, "https://rest.fal.ai");
    return new URL(path, "https://queue.fal.run");
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = (req.method ?? "GET").toUpperCase();
    const path = req.url ?? "/";
    const target = resolveTarget(req, path);
    const auth = req.headers.authorization;
    const isJson = (req.headers["content-type"] ?? "").includes("json") && body.length > 0;
    let json: unknown;
    let badJson = false;
    if (isJson) {
      try {
        json = JSON.parse(body.toString("utf8"));
      } catch {
        badJson = true;
      }
    }
    const record: RecordedRequest = {
      method,
      target: typeof target === "string" ? `${baseUrl}${path}` : target.href,
      path: typeof target === "string" ? (path.split("?")[0] ?? path) : target.pathname,
      ...(auth !== undefined ? { auth } : {}),
      ...(json !== undefined ? { json } : {}),
      status: 0,
      at: Date.now(),
    };
    requests.push(record);
    const x: Exchange = { req, res, method, target: typeof target === "string" ? new URL(baseUrl) : target, body, json, badJson, record };
    if (typeof target === "string") return sendJson(x, 400, { error: "Bad Request", detail: target });

    if (await faults.apply(x, () => classify(x, baseUrl, (id) => jobs.has(id)))) return;

    const host = target.host;
    // the webhook keys: public, on this server and (through the proxy) where fal serves them
    if ((target.origin === baseUrl || host === "rest.fal.ai") && target.pathname === JWKS_PATH) {
      if (method !== "GET" && method !== "HEAD") return sendJson(x, 405, { detail: "Method Not Allowed" });
      return sendJson(x, 200, webhooks.jwks, { "Cache-Control": "public, max-age=3600" });
    }
    if (target.origin === baseUrl) {
      if (!storage.handleLocal(x)) sendJson(x, 404, { detail: "Not Found" });
      return;
    }
    if (host !== "queue.fal.run" && host !== "fal.run" && host !== "rest.fal.ai") {
      return sendJson(x, 412, { error: "Precondition Failed", detail: `Invalid ${TARGET_HEADER}: ${target.href}` });
    }
    if (opts.key !== undefined && auth !== `Key ${opts.key}`) {
      return sendJson(x, 401, { detail: "invalid key credentials" });
    }
    if (host === "rest.fal.ai") return storage.handleRest(x);
    if (nsfw.handles(target)) return nsfw.handle(x);
    if (host === "fal.run") return handleSync(ctx, x);
    return handleQueue(ctx, x);
  }

  function jobOf(what: string, requestId: string): Job {
    const job = jobs.get(requestId);
    if (!job) throw new Error(`${what}: unknown request id ${requestId}`);
    return job;
  }

  const fake: FakeFal = {
    proxyUrl: `${baseUrl}${PROXY_PATH}`,
    baseUrl,
    jwksUrl: `${baseUrl}${JWKS_PATH}`,
    webhookUserId: webhooks.settings.userId,
    webhooks: webhooks.deliveries,
    resendWebhook: (requestId, tamper) => webhooks.resend(requestId, tamper),
    requests,
    submissions,
    cancels,
    cancelRequests,
    uploads: storage.uploads,
    jobs,
    nsfwScores: nsfw.scores,
    nsfwChecks: nsfw.checks,
    setNsfwProbability: (bytes, p) => nsfw.setProbability(bytes, p),
    setDefaultNsfwProbability: (p) => nsfw.setDefault(p),
    setTimelines(choose) {
      timelineFor = choose;
    },
    nextTimeline(t) {
      pendingTimelines.push(t);
    },
    billedUnits(requestId) {
      return jobOf("billedUnits", requestId).billedUnits();
    },
    totalBilledUnits() {
      return sumUnits([...jobs.values()].map((j) => j.billedUnits() ?? 0));
    },
    failNext: (match, reply, times) => faults.failNext(match, reply, times),
    loseAnswerNext: (match, lost, times) => faults.loseAnswerNext(match, lost, times),
    holdNext: (match, ms, times) => faults.holdNext(match, ms, times),
    holdAnswerNext: (match, ms, times) => faults.holdAnswerNext(match, ms, times),
    setPolicy: (policy) => faults.setPolicy(policy),
    expireOutput(requestId, reply) {
      jobOf("expireOutput", requestId);
      storage.expired.set(requestId, reply); // output files are stored under their request id
    },
    release(requestId) {
      const job = jobOf("release", requestId);
      job.release();
      webhooks.watch(job);
    },
    async waitFor<T>(fn: () => T | undefined | false | null, timeoutMs = 5000): Promise<T> {
      const started = Date.now();
      let lastError: unknown;
      for (;;) {
        try {
          const v = fn();
          if (v !== undefined && v !== false && v !== null) return v;
          lastError = undefined;
        } catch (err) {
          lastError = err;
        }
        if (Date.now() - started >= timeoutMs) {
          const recent = requests
            .slice(-8)
            .map((r) => `  ${r.method} ${r.target} -> ${r.status}`)
            .join("\n");
          throw new Error(
            `fakeFal.waitFor timed out after ${timeoutMs} ms waiting for: ${fn.toString()}` +
              (lastError ? `\nlast error: ${String(lastError)}` : "") +
              `\n${requests.length} requests so far, ${submissions.length} submissions; last ones:\n${recent || "  (none)"}`,
          );
        }
        await sleep(10);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      webhooks.close();
      for (const s of streams) s.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
