/**
 * The fake fal server, driven by the real @fal-ai/client (proxyUrl mode, plus one direct-mode check).
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiError, ValidationError, createFalClient, type QueueStatus } from "@fal-ai/client";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeFal,
  type FakeFalOptions,
  type FaultDecision,
  type FaultRequest,
  type JobTimeline,
  NSFW_ENDPOINT,
  billedUnitsFor,
  sha256Hex,
  startFakeFal,
} from "./fal/index.js";
import { makeMp4, readMp4Info } from "./mp4.js";

const ENDPOINT = "bytedance/seedance-2.0/image-to-video";
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
const FAST = { queuePositions: [2, 1, 0], stepMs: 30, runMs: 90 };

let fakes: FakeFal[] = [];
let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  await Promise.all(closers.map((c) => c()));
  fakes = [];
  closers = [];
});

async function setup(opts: FakeFalOptions = {}, credentials = "test-key") {
  const fake = await startFakeFal({ timeline: FAST, ...opts });
  fakes.push(fake);
  const fal = createFalClient({ credentials, proxyUrl: { url: fake.proxyUrl, when: "always" } });
  return { fake, fal };
}

async function uploadPng(fal: ReturnType<typeof createFalClient>): Promise<string> {
  return fal.storage.upload(new Blob([PNG], { type: "image/png" }));
}

async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the promise to reject");
}

async function download(url: string): Promise<{ bytes: Buffer; type: string | null }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { bytes: Buffer.from(await res.arrayBuffer()), type: res.headers.get("content-type") };
}

describe("makeMp4 / readMp4Info", () => {
  it("builds a valid ftyp-first file whose boxes parse back", () => {
    const a = makeMp4({ width: 1280, height: 720, durationSec: 5 });
    expect(a.toString("latin1", 4, 12)).toBe("ftypisom");
    expect(readMp4Info(a)).toEqual({ durationSec: 5, width: 1280, height: 720, majorBrand: "isom" });
    expect(a.equals(makeMp4({ width: 1280, height: 720, durationSec: 5 }))).toBe(true);
    expect(a.equals(makeMp4({ width: 1280, height: 720, durationSec: 6 }))).toBe(false);
    const big = makeMp4({ width: 864, height: 496, durationSec: 4, padToBytes: 200_000 });
    expect(big.length).toBe(200_000);
    expect(readMp4Info(big).width).toBe(864);
    expect(() => readMp4Info(a.subarray(0, a.length - 1))).toThrow(/bad size/);
  });
});

describe("fake fal with the real @fal-ai/client (proxyUrl, when: always)", () => {
  it("storage.upload returns a URL serving the same bytes; the PUT carries no Authorization", async () => {
    const { fake, fal } = await setup();
    const url = await uploadPng(fal);
    const { bytes, type } = await download(url);
    expect(bytes.equals(PNG)).toBe(true);
    expect(type).toBe("image/png");
    expect(fake.uploads).toHaveLength(1);
    const [initiate, put] = fake.requests;
    expect(initiate).toMatchObject({
      method: "POST",
      target: "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3",
      path: "/storage/upload/initiate",
      auth: "Key test-key",
      status: 200,
      json: { content_type: "image/png" },
    });
    expect(put).toMatchObject({ method: "PUT", status: 200 });
    expect(put?.auth).toBeUndefined();
  });

  it("submit -> IN_QUEUE positions -> IN_PROGRESS logs -> COMPLETED -> video with the requested size", async () => {
    const { fake, fal } = await setup();
    const image_url = await uploadPng(fal);
    const input = { prompt: "a cat surfing", image_url, resolution: "480p", aspect_ratio: "9:16", duration: "6", seed: 42 };
    fake.nextTimeline({ stepMs: 150, runMs: 450 }); // roomy: every step must be seen even on a busy machine
    const queued = await fal.queue.submit(ENDPOINT, { input });
    expect(queued).toMatchObject({ status: "IN_QUEUE", queue_position: 2 });
    const id = queued.request_id;
    expect(queued.status_url).toBe(`https://queue.fal.run/bytedance/seedance-2.0/requests/${id}/status`);
    expect(fake.submissions[0]).toMatchObject({ requestId: id, endpoint: ENDPOINT, input });

    const updates: QueueStatus[] = [];
    const done = await fal.queue.subscribeToStatus(ENDPOINT, {
      requestId: id,
      logs: true,
      pollInterval: 10,
      onQueueUpdate: (s) => updates.push(s),
    });
    expect(done.status).toBe("COMPLETED");
    const positions = updates.flatMap((u) => (u.status === "IN_QUEUE" ? [u.queue_position] : []));
    expect([...new Set(positions)]).toEqual([2, 1, 0]);
    const inProgress = updates.filter((u) => u.status === "IN_PROGRESS");
    expect(inProgress.length).toBeGreaterThan(0);
    const logCounts = inProgress.map((u) => (u.status === "IN_PROGRESS" ? u.logs.length : 0));
    expect(logCounts[0]).toBeGreaterThanOrEqual(1);
    expect(logCounts.at(-1)).toBeGreaterThan(logCounts[0] ?? 0);
    expect(done.logs.map((l) => l.message)).toEqual(["Loading model", "Generating frames", "Encoding video"]);
    expect(done.logs[0]).toMatchObject({ level: "INFO", source: "user" });
    expect(updates.map((u) => u.status).indexOf("IN_PROGRESS")).toBeGreaterThan(positions.length - 1);

    const result = await fal.queue.result(ENDPOINT, { requestId: id });
    expect(result.requestId).toBe(id);
    expect(result.data.seed).toBe(42);
    expect(result.data.video).toMatchObject({ content_type: "video/mp4", file_name: "output.mp4" });
    const { bytes, type } = await download(result.data.video.url);
    expect(type).toBe("video/mp4");
    expect(bytes.length).toBe(result.data.video.file_size);
    expect(readMp4Info(bytes)).toMatchObject({ width: 496, height: 864, durationSec: 6 });
    expect(fake.jobs.get(id)?.state).toBe("COMPLETED");

    const proxied = fake.requests.filter((r) => r.target.startsWith("https://queue.fal.run/"));
    expect(proxied.every((r) => r.auth === "Key test-key")).toBe(true);
    expect(proxied.some((r) => r.target.endsWith(`/requests/${id}/status?logs=1`))).toBe(true);
  });

  it("status without logs reports logs: null; result before completion is 400", async () => {
    const { fal } = await setup({ timeline: { queuePositions: [], runMs: 500 } });
    const { request_id } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url: await uploadPng(fal) } });
    const s = await fal.queue.status(ENDPOINT, { requestId: request_id });
    expect(s).toMatchObject({ status: "IN_PROGRESS", logs: null, request_id });
    const err = await rejection(fal.queue.result(ENDPOINT, { requestId: request_id }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.body).toEqual({ detail: "Request is still in progress" });
  });

  it("rejects schema violations with 422 ValidationError and accepts nothing", async () => {
    const { fake, fal } = await setup();
    const image_url = await uploadPng(fal);
    const cases: Array<[Record<string, unknown>, string, string, string?]> = [
      [{ prompt: "p", image_url, duration: 5 }, "duration", "enum"],
      [{ prompt: "p", image_url, camera_fixed: true }, "camera_fixed", "extra_forbidden"],
      [{ prompt: "p", image_url, enable_safety_checker: false }, "enable_safety_checker", "extra_forbidden"],
      [{ prompt: "", image_url }, "prompt", "string_too_short"],
      [{ prompt: "x".repeat(2501), image_url }, "prompt", "string_too_long"],
      [{ prompt: "p" }, "image_url", "missing"],
      [{ prompt: "p", image_url: "not a url" }, "image_url", "url_parsing"],
      [{ prompt: "p", image_url, seed: 1.5 }, "seed", "int_type"],
      [{ prompt: "p", image_url, resolution: "1080p" }, "resolution", "enum", "bytedance/seedance-2.0/fast/image-to-video"],
    ];
    for (const [input, field, type, endpoint] of cases) {
      const err = await rejection(fal.queue.submit(endpoint ?? ENDPOINT, { input }));
      expect(err, field).toBeInstanceOf(ValidationError);
      expect(err.status).toBe(422);
      expect(err.body.detail[0]).toMatchObject({ loc: ["body", field], type });
    }
    expect(fake.submissions).toHaveLength(0);
    expect(fake.requests.filter((r) => r.status === 422)).toHaveLength(cases.length);
  });

  it("an error outcome surfaces from result() as a ValidationError (status stays COMPLETED)", async () => {
    const { fake, fal } = await setup();
    const detail = [{ loc: ["body", "image_url"], msg: "flagged", type: "content_policy_violation" }];
    fake.nextTimeline({ queuePositions: [0], stepMs: 10, runMs: 20, outcome: { kind: "error", status: 422, detail } });
    const statuses: string[] = [];
    const err = await rejection(
      fal.subscribe(ENDPOINT, {
        input: { prompt: "p", image_url: await uploadPng(fal) },
        pollInterval: 10,
        onQueueUpdate: (s) => statuses.push(s.status),
      }),
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.status).toBe(422);
    expect(err.body.detail[0].type).toBe("content_policy_violation");
    expect(err.requestId).toBe(fake.submissions[0]?.requestId);
    expect(statuses.at(-1)).toBe("COMPLETED");
  });

  it("an image URL not uploaded to the fake fails the job with file_download_error", async () => {
    const { fal } = await setup({ timeline: { queuePositions: [], runMs: 10 } });
    const err = await rejection(
      fal.subscribe(ENDPOINT, { input: { prompt: "p", image_url: "https://cdn.discordapp.com/x.png" }, pollInterval: 10 }),
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.body.detail[0]).toMatchObject({ loc: ["body", "image_url"], type: "file_download_error" });
  });

  it("cancel while queued: 202, then status COMPLETED and result 400; later cancels are ALREADY_COMPLETED", async () => {
    const { fake, fal } = await setup({ timeline: { queuePositions: [5, 4, 3], stepMs: 1000 } });
    const { request_id } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url: await uploadPng(fal) } });
    await fal.queue.cancel(ENDPOINT, { requestId: request_id });
    expect(fake.cancels).toEqual([request_id]);
    expect(fake.jobs.get(request_id)?.state).toBe("CANCELLED");
    expect(fake.requests.at(-1)).toMatchObject({ method: "PUT", status: 202 });
    expect(await fal.queue.status(ENDPOINT, { requestId: request_id })).toMatchObject({ status: "COMPLETED" });
    const resultErr = await rejection(fal.queue.result(ENDPOINT, { requestId: request_id }));
    expect(resultErr).toMatchObject({ status: 400, body: { detail: "Request was cancelled" } });
    const again = await rejection(fal.queue.cancel(ENDPOINT, { requestId: request_id }));
    expect(again).toMatchObject({ status: 400, body: { status: "ALREADY_COMPLETED" } });
    const unknown = await rejection(fal.queue.status(ENDPOINT, { requestId: "nope" }));
    expect(unknown).toMatchObject({ status: 404, body: { status: "NOT_FOUND" } });
  });

  it("a wrong key gets 401 invalid key credentials", async () => {
    const { fake, fal } = await setup({ key: "right-key" });
    const err = await rejection(fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url: "https://x/y.png" } }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, body: { detail: "invalid key credentials" } });
    expect(await rejection(uploadPng(fal))).toMatchObject({ status: 401 });
    expect(fake.submissions).toHaveLength(0);
    const good = createFalClient({ credentials: "right-key", proxyUrl: { url: fake.proxyUrl, when: "always" } });
    expect(await uploadPng(good)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\//);
  });

  it("failNext injects faults; never + release; streamStatus; direct mode", async () => {
    const { fake, fal } = await setup();
    fake.nextTimeline({ queuePositions: [], runMs: 10, outcome: { kind: "never" } });
    const { request_id: id } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url: await uploadPng(fal) } });
    await fake.waitFor(() => fake.jobs.get(id)?.state === "IN_PROGRESS");
    await new Promise((r) => setTimeout(r, 30));
    expect(fake.jobs.get(id)?.state).toBe("IN_PROGRESS");
    const stream = await fal.queue.streamStatus(ENDPOINT, { requestId: id, logs: true });
    setTimeout(() => fake.release(id), 30);
    expect(await stream.done()).toMatchObject({ status: "COMPLETED" });

    fake.failNext({ method: "GET", target: /\/requests\/[^/]+$/ }, { status: 500, body: { detail: "boom" } });
    expect(await rejection(fal.queue.result(ENDPOINT, { requestId: id }))).toMatchObject({ status: 500, body: { detail: "boom" } });
    const ok = await fal.queue.result(ENDPOINT, { requestId: id });
    expect(readMp4Info((await download(ok.data.video.url)).bytes)).toMatchObject({ width: 1280, height: 720, durationSec: 5 });

    const direct = createFalClient({
      credentials: "test-key",
      requestMiddleware: async (req) => ({ ...req, url: req.url.replace(/^https:\/\/(queue\.fal\.run|rest\.fal\.ai)/, fake.baseUrl) }),
    });
    fake.nextTimeline({ queuePositions: [], runMs: 10, outcome: { kind: "video", width: 640, height: 640, durationSec: 4 } });
    const r = await direct.subscribe(ENDPOINT, { input: { prompt: "p", image_url: await uploadPng(direct) }, pollInterval: 10 });
    expect(readMp4Info((await download(r.data.video.url)).bytes)).toMatchObject({ width: 640, height: 640, durationSec: 4 });
    const resultCall = fake.requests.find((q) => q.target === `https://queue.fal.run/bytedance/seedance-2.0/requests/${r.requestId}`);
    expect(resultCall).toMatchObject({ method: "GET", status: 200, auth: "Key test-key" });
  });
});

/** A webhook receiver on loopback: records each POST's headers and raw bytes; answers `answers` in turn, then 200. */
interface Received {
  method: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  at: number;
}
async function startReceiver(answers: number[] = []): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ method: req.method ?? "", headers: req.headers, raw: Buffer.concat(chunks), at: Date.now() });
      res.writeHead(answers.shift() ?? 200, { "Content-Type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  closers.push(close);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fal/webhook?job=abc`, got, close };
}

type Verdict = "ok" | "missing-header" | "stale-timestamp" | "bad-signature";

/**
 * Verifies a fal webhook exactly as fal.md §3.8 describes: the four headers must be present; the
 * timestamp within ±300 s; the message is request_id, user_id, timestamp and hex(sha256(raw body))
 * joined by "\n", UTF-8; it is valid if the hex signature verifies (Ed25519) against any key of the JWKS.
 */
async function verifyFalWebhook(
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  jwksUrl: string,
  opts: { checkTimestamp?: boolean; onlyFirstKey?: boolean } = {},
): Promise<Verdict> {
  const get = (name: string): string | undefined => {
    const v = headers[name];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const reqId = get("x-fal-webhook-request-id");
  const userId = get("x-fal-webhook-user-id");
  const ts = get("x-fal-webhook-timestamp");
  const sigHex = get("x-fal-webhook-signature");
  if (!reqId || !userId || !ts || !sigHex) return "missing-header";
  if ((opts.checkTimestamp ?? true) && (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300)) return "stale-timestamp";
  const msg = Buffer.from([reqId, userId, ts, createHash("sha256").update(rawBody).digest("hex")].join("\n"), "utf8");
  const res = await fetch(jwksUrl); // no credentials: the key set is public
  expect(res.status).toBe(200);
  const jwks = (await res.json()) as { keys: Array<{ kty: string; crv: string; x: string }> };
  const keys = opts.onlyFirstKey ? jwks.keys.slice(0, 1) : jwks.keys;
  for (const jwk of keys) {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" });
    if (verify(null, msg, key, Buffer.from(sigHex, "hex"))) return "ok";
  }
  return "bad-signature";
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("fake fal webhooks (fal.md §3.8)", () => {
  it("a proxied submit with ?fal_webhook= gets one POST when done, signed so it verifies against every key of the JWKS", async () => {
    const { fake, fal } = await setup({ key: "test-key", extraJwksKeys: 1 });
    const hook = await startReceiver();
    const { request_id: id } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url: await uploadPng(fal) }, webhookUrl: hook.url });
    expect(fake.submissions[0]).toMatchObject({ requestId: id, webhookUrl: hook.url });
    expect(fake.jobs.get(id)?.webhookUrl).toBe(hook.url);

    await fake.waitFor(() => hook.got.length > 0);
    const [got] = hook.got;
    if (!got) throw new Error("unreachable");
    expect(got.method).toBe("POST");
    expect(got.at).toBeGreaterThanOrEqual(fake.jobs.get(id)?.completedAt ?? Infinity);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["x-fal-webhook-request-id"]).toBe(id);
    expect(got.headers["x-fal-webhook-user-id"]).toBe(fake.webhookUserId);
    expect(Math.abs(Number(got.headers["x-fal-webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(5);
    expect(got.headers["x-fal-webhook-signature"]).toMatch(/^[0-9a-f]{128}$/);

    const result = await fal.queue.result(ENDPOINT, { requestId: id });
    expect(JSON.parse(got.raw.toString("utf8"))).toEqual({ request_id: id, gateway_request_id: id, status: "OK", payload: result.data });
    expect(await verifyFalWebhook(got.headers, got.raw, fake.jwksUrl)).toBe("ok");
    // the signing key is not the first of the set: a verifier must try them all
    expect(await verifyFalWebhook(got.headers, got.raw, fake.jwksUrl, { onlyFirstKey: true })).toBe("bad-signature");

    const jwks = (await (await fetch(fake.jwksUrl)).json()) as { keys: Array<Record<string, string>> };
    expect(jwks.keys).toHaveLength(2);
    for (const k of jwks.keys) expect(k).toMatchObject({ kty: "OKP", crv: "Ed25519", x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(fake.requests.find((r) => r.target === fake.jwksUrl)).toMatchObject({ method: "GET", status: 200 });
    expect(fake.requests.find((r) => r.target === fake.jwksUrl)?.auth).toBeUndefined();

    await pause(150);
    expect(hook.got).toHaveLength(1); // delivered once
    expect(fake.webhooks).toEqual([
      { requestId: id, url: hook.url, status: 200, headers: expect.any(Object), body: got.raw.toString("utf8"), at: expect.any(Number), attempt: 1 },
    ]);
    expect(fake.webhooks[0]?.headers["X-Fal-Webhook-Signature"]).toBe(got.headers["x-fal-webhook-signature"]);
  });

  it("bot-style and direct submits carry it too; webhookDelayMs delays it; release() ends a never job; a cancelled request sends none", async () => {
    const { fake, fal } = await setup({ webhookDelayMs: 50 });
    const hook = await startReceiver();
    const image_url = await uploadPng(fal);
    const body = JSON.stringify({ prompt: "p", image_url });
    const withHook = `https://queue.fal.run/${ENDPOINT}?fal_webhook=${encodeURIComponent(hook.url)}`;
    const submit = async (url: string, headers: Record<string, string> = {}) => {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: "Key test-key", ...headers }, body });
      expect(res.status).toBe(200);
      return ((await res.json()) as { request_id: string }).request_id;
    };

    // as src/seedance/submit.ts sends it: POST to the proxy, the real URL in x-fal-target-url; a per-job delay
    fake.nextTimeline({ webhookDelayMs: 250 });
    const proxied = await submit(fake.proxyUrl, { "x-fal-target-url": withHook });
    // direct mode: the path and query as on queue.fal.run
    const direct = await submit(`${fake.baseUrl}/${ENDPOINT}?fal_webhook=${encodeURIComponent(hook.url)}`);
    // no webhook asked: none sent
    const plain = await submit(`${fake.baseUrl}/${ENDPOINT}`);
    // an outcome "never" job: its webhook comes after release()
    fake.nextTimeline({ outcome: { kind: "never" } });
    const never = await submit(fake.proxyUrl, { "x-fal-target-url": withHook });
    // cancelled while queued: no webhook, neither now nor when it would have ended
    fake.nextTimeline({ queuePositions: [1], stepMs: 150, runMs: 10 });
    const cancelled = await submit(fake.proxyUrl, { "x-fal-target-url": withHook });
    await fal.queue.cancel(ENDPOINT, { requestId: cancelled });

    const from = (id: string) => hook.got.filter((g) => g.headers["x-fal-webhook-request-id"] === id);
    await fake.waitFor(() => from(proxied).length === 1 && from(direct).length === 1, 3000);
    expect(from(direct)[0]?.at).toBeGreaterThanOrEqual((fake.jobs.get(direct)?.completedAt ?? Infinity) + 50);
    expect(from(proxied)[0]?.at).toBeGreaterThanOrEqual((fake.jobs.get(proxied)?.completedAt ?? Infinity) + 250);
    await pause(100);
    expect(from(never)).toHaveLength(0);
    fake.release(never);
    await fake.waitFor(() => from(never).length === 1);
    for (const g of hook.got) expect(await verifyFalWebhook(g.headers, g.raw, fake.jwksUrl)).toBe("ok");
    expect(JSON.parse(from(never)[0]?.raw.toString() ?? "")).toMatchObject({ status: "OK", payload: { video: { content_type: "video/mp4" } } });

    await pause(300);
    expect(fake.jobs.get(cancelled)?.state).toBe("CANCELLED");
    expect(from(cancelled)).toHaveLength(0);
    expect(from(plain)).toHaveLength(0);
    expect(hook.got).toHaveLength(3);
    expect(fake.webhooks.map((w) => w.requestId).sort()).toEqual([proxied, direct, never].sort());
  });

  it("an error outcome sends status ERROR with fal's error line and the result route's error body", async () => {
    const { fake, fal } = await setup();
    const hook = await startReceiver();
    const detail = [{ loc: ["body", "image_url"], msg: "flagged", type: "content_policy_violation" }];
    fake.nextTimeline({ queuePositions: [0], stepMs: 10, runMs: 20, outcome: { kind: "error", status: 422, detail } });
    const { request_id: id } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url: await uploadPng(fal) }, webhookUrl: hook.url });
    await fake.waitFor(() => hook.got[0]);
    const got = hook.got[0]!;
    expect(JSON.parse(got.raw.toString("utf8"))).toEqual({
      request_id: id,
      gateway_request_id: id,
      status: "ERROR",
      error: "Invalid status code: 422",
      payload: { detail },
    });
    expect(await verifyFalWebhook(got.headers, got.raw, fake.jwksUrl)).toBe("ok");
    const err = await rejection(fal.queue.result(ENDPOINT, { requestId: id }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(JSON.parse(got.raw.toString("utf8")).payload).toEqual(err.body);
  });

  it("resendWebhook replays the exact webhook, and each forgery fails verification", async () => {
    const { fake, fal } = await setup();
    const hook = await startReceiver();
    const { request_id: id } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url: await uploadPng(fal) }, webhookUrl: hook.url });
    await expect(fake.resendWebhook(id)).rejects.toThrow(/no webhook was sent/);
    await fake.waitFor(() => hook.got.length === 1);
    const original = hook.got[0]!;
    const sig = (g: Received | undefined) => g?.headers["x-fal-webhook-signature"];

    const replay = await fake.resendWebhook(id);
    expect(replay).toMatchObject({ requestId: id, url: hook.url, status: 200, attempt: 0, resent: "replay" });
    const replayed = hook.got[1]!;
    expect(replayed.raw.equals(original.raw)).toBe(true);
    for (const h of ["x-fal-webhook-request-id", "x-fal-webhook-user-id", "x-fal-webhook-timestamp", "x-fal-webhook-signature"]) {
      expect(replayed.headers[h], h).toBe(original.headers[h]);
    }
    expect(await verifyFalWebhook(replayed.headers, replayed.raw, fake.jwksUrl)).toBe("ok"); // only idempotence stops a replay

    await fake.resendWebhook(id, "no-headers");
    const bare = hook.got[2]!;
    expect(Object.keys(bare.headers).filter((h) => h.startsWith("x-fal-webhook-"))).toEqual([]);
    expect(bare.raw.equals(original.raw)).toBe(true);
    expect(await verifyFalWebhook(bare.headers, bare.raw, fake.jwksUrl)).toBe("missing-header");

    await fake.resendWebhook(id, "bad-signature");
    const forged = hook.got[3]!;
    expect(forged.raw.equals(original.raw)).toBe(true);
    expect(sig(forged)).toMatch(/^[0-9a-f]{128}$/);
    expect(await verifyFalWebhook(forged.headers, forged.raw, fake.jwksUrl)).toBe("bad-signature");

    await fake.resendWebhook(id, "stale-timestamp");
    const stale = hook.got[4]!;
    expect(Number(stale.headers["x-fal-webhook-timestamp"])).toBeLessThan(Date.now() / 1000 - 590);
    expect(await verifyFalWebhook(stale.headers, stale.raw, fake.jwksUrl)).toBe("stale-timestamp");
    // signed consistently: only the timestamp check stops it
    expect(await verifyFalWebhook(stale.headers, stale.raw, fake.jwksUrl, { checkTimestamp: false })).toBe("ok");

    await fake.resendWebhook(id, "other-body");
    const swapped = hook.got[5]!;
    expect(swapped.raw.equals(original.raw)).toBe(false);
    expect(JSON.parse(swapped.raw.toString("utf8"))).toMatchObject({ request_id: id, status: "OK" });
    expect(sig(swapped)).toBe(sig(original));
    expect(swapped.headers["x-fal-webhook-timestamp"]).toBe(original.headers["x-fal-webhook-timestamp"]);
    expect(await verifyFalWebhook(swapped.headers, swapped.raw, fake.jwksUrl)).toBe("bad-signature");

    expect(fake.webhooks.map((w) => w.resent ?? w.attempt)).toEqual([1, "replay", "no-headers", "bad-signature", "stale-timestamp", "other-body"]);
    expect(fake.webhooks.every((w, i) => w.body === hook.got[i]?.raw.toString("utf8"))).toBe(true);
  });

  it("a non-2xx answer or none is retried up to 3 times; an unreachable receiver is recorded with status 0", async () => {
    const { fake, fal } = await setup({ webhookRetryDelayMs: 10 });
    const hook = await startReceiver([500, 503]);
    const image_url = await uploadPng(fal);
    const { request_id: id } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url }, webhookUrl: hook.url });
    await fake.waitFor(() => hook.got.length === 3);
    await pause(100);
    expect(fake.webhooks.map((w) => [w.requestId, w.attempt, w.status])).toEqual([
      [id, 1, 500],
      [id, 2, 503],
      [id, 3, 200],
    ]);
    expect(new Set(hook.got.map((g) => g.raw.toString())).size).toBe(1);
    for (const g of hook.got) expect(await verifyFalWebhook(g.headers, g.raw, fake.jwksUrl)).toBe("ok");

    const gone = await startReceiver();
    await gone.close();
    const { request_id: lost } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url }, webhookUrl: gone.url });
    await fake.waitFor(() => fake.webhooks.filter((w) => w.requestId === lost).length === 4);
    await pause(100);
    const tries = fake.webhooks.filter((w) => w.requestId === lost);
    expect(tries.map((w) => [w.attempt, w.status])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
    expect(tries[0]?.error).toMatch(/ECONNREFUSED/);
  });
});

/** A raw call through the proxy, as the client makes it: the real fal URL in x-fal-target-url. */
async function viaProxy(fake: FakeFal, method: string, url: string, body?: unknown): Promise<Response> {
  return fetch(fake.proxyUrl, {
    method,
    headers: {
      "x-fal-target-url": url,
      authorization: "Key test-key",
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}
const requestUrl = (id: string, sub = "") => `https://queue.fal.run/bytedance/seedance-2.0/requests/${id}${sub}`;
const submitUrl = `https://queue.fal.run/${ENDPOINT}`;

describe("fake fal: what fal bills (update-2026-12.md §2)", () => {
  it("bills 24·s + 1 frames: 87.3, 108.9 and 130.5 units for 4, 5 and 6 s at 720p 16:9, told in x-fal-billable-units", async () => {
    expect([4, 5, 6].map((s) => billedUnitsFor(1280, 720, s))).toEqual([87.3, 108.9, 130.5]);
    expect(billedUnitsFor(1112, 834, 5)).toBe(109.586); // whole tokens: 121 × 905.67… = 109,586.3
    const { fake, fal } = await setup({ timeline: { queuePositions: [], runMs: 10 } });
    const image_url = await uploadPng(fal);
    const told: Array<string | null> = [];
    for (const duration of ["4", "5", "6"]) {
      const r = await fal.subscribe(ENDPOINT, { input: { prompt: "p", image_url, resolution: "720p", aspect_ratio: "16:9", duration }, pollInterval: 10 });
      const res = await viaProxy(fake, "GET", requestUrl(r.requestId));
      expect(res.status).toBe(200);
      told.push(res.headers.get("x-fal-billable-units"));
      expect(fake.billedUnits(r.requestId)).toBe(Number(res.headers.get("x-fal-billable-units")));
    }
    expect(told).toEqual(["87.3", "108.9", "130.5"]);
    expect(fake.totalBilledUnits()).toBe(326.7);
  });

  it("billedUnits() is the charge whatever the client did: unfetched video, suppressed header, errors, honoured cancel, never-ending", async () => {
    const { fake, fal } = await setup({ timeline: { queuePositions: [], runMs: 60 } });
    const image_url = await uploadPng(fal);
    const submit = async (t: Partial<JobTimeline>) => {
      fake.nextTimeline(t);
      return (await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url } })).request_id;
    };
    const unfetched = await submit({});
    const hidden = await submit({ billableUnits: null, outcome: { kind: "video", durationSec: 4 } });
    const chargedError = await submit({ billableUnits: 12.5, outcome: { kind: "error", status: 500, detail: "runner died late" } });
    const freeError = await submit({ outcome: { kind: "error", status: 422, detail: [{ loc: ["body"], msg: "no", type: "no_media_generated" }] } });
    const cancelled = await submit({ queuePositions: [3, 2], stepMs: 1000 });
    const never = await submit({ outcome: { kind: "never" } });

    expect(fake.billedUnits(unfetched)).toBeNull(); // still running: not billed yet
    await fal.queue.cancel(ENDPOINT, { requestId: cancelled });
    expect(fake.billedUnits(cancelled)).toBe(0);
    await fake.waitFor(() => [unfetched, hidden, chargedError, freeError].every((id) => fake.billedUnits(id) !== null));
    expect(fake.billedUnits(unfetched)).toBe(108.9);
    expect(fake.billedUnits(hidden)).toBe(87.3);
    expect(fake.billedUnits(chargedError)).toBe(12.5);
    expect(fake.billedUnits(freeError)).toBe(0);
    // nobody asked for a result: the bill did not wait for one
    expect(fake.requests.filter((r) => /\/requests\/[^/]+$/.test(r.path))).toEqual([]);

    // told vs charged: the suppressed header hides the bill, the charged error tells it
    expect((await viaProxy(fake, "GET", requestUrl(hidden))).headers.get("x-fal-billable-units")).toBeNull();
    expect((await viaProxy(fake, "GET", requestUrl(chargedError))).headers.get("x-fal-billable-units")).toBe("12.5");
    expect((await viaProxy(fake, "GET", requestUrl(freeError))).headers.get("x-fal-billable-units")).toBeNull();

    await pause(100);
    expect(fake.billedUnits(never)).toBeNull();
    expect(fake.totalBilledUnits()).toBe(208.7); // 108.9 + 87.3 + 12.5
    fake.release(never);
    expect(fake.billedUnits(never)).toBe(108.9);
    expect(fake.totalBilledUnits()).toBe(317.6);
    expect(() => fake.billedUnits("nope")).toThrow(/unknown request id/);
  });
});

describe("fake fal: cancel is only a request (fal.md §3.5)", () => {
  it("answers 202 either way; auto honours it only behind others in the queue; an ignored cancel completes, sends its webhook and is billed", async () => {
    const { fake, fal } = await setup();
    const hook = await startReceiver();
    const image_url = await uploadPng(fal);
    const submit = async (t: Partial<JobTimeline>) => {
      fake.nextTimeline(t);
      return (await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url }, webhookUrl: hook.url })).request_id;
    };
    const waiting = await submit({ queuePositions: [3, 2], stepMs: 150, runMs: 50 }); // auto, behind others: honoured
    const starting = await submit({ queuePositions: [0], stepMs: 300, runMs: 50 }); // auto, position 0: ignored
    const running = await submit({ queuePositions: [], runMs: 350 }); // auto, IN_PROGRESS: ignored
    const stubborn = await submit({ queuePositions: [3, 2], stepMs: 150, runMs: 50, cancel: "ignored" });
    const obliging = await submit({ queuePositions: [], runMs: 350, cancel: "honoured" });
    expect(fake.jobs.get(running)?.state).toBe("IN_PROGRESS");

    const all = [waiting, starting, running, stubborn, obliging];
    for (const id of all) {
      const res = await viaProxy(fake, "PUT", requestUrl(id, "/cancel"));
      expect([res.status, await res.json()]).toEqual([202, { status: "CANCELLATION_REQUESTED" }]);
    }
    expect(fake.cancelRequests.map((c) => [c.requestId, c.honoured])).toEqual([
      [waiting, true],
      [starting, false],
      [running, false],
      [stubborn, false],
      [obliging, true],
    ]);
    expect(fake.cancels).toEqual([waiting, obliging]);
    await fal.queue.cancel(ENDPOINT, { requestId: running }); // the client is content either way
    expect(fake.cancelRequests.at(-1)).toMatchObject({ requestId: running, honoured: false });

    // honoured: COMPLETED at once, result 400 without units, no webhook, nothing billed
    for (const id of [waiting, obliging]) {
      expect(await fal.queue.status(ENDPOINT, { requestId: id })).toMatchObject({ status: "COMPLETED" });
      const res = await viaProxy(fake, "GET", requestUrl(id));
      expect([res.status, await res.json()]).toEqual([400, { detail: "Request was cancelled" }]);
      expect(res.headers.get("x-fal-billable-units")).toBeNull();
      expect(fake.billedUnits(id)).toBe(0);
    }
    // ignored: the timeline runs on as if nobody asked
    expect(fake.jobs.get(running)?.state).toBe("IN_PROGRESS");
    expect(await fal.queue.status(ENDPOINT, { requestId: stubborn })).toMatchObject({ status: "IN_QUEUE" });
    const from = (id: string) => hook.got.filter((g) => g.headers["x-fal-webhook-request-id"] === id);
    await fake.waitFor(() => [starting, running, stubborn].every((id) => from(id).length === 1), 3000);
    for (const id of [starting, running, stubborn]) {
      const done = await fal.queue.subscribeToStatus(ENDPOINT, { requestId: id, pollInterval: 10 });
      expect(done.status).toBe("COMPLETED");
      const r = await fal.queue.result(ENDPOINT, { requestId: id });
      expect(r.data.video.content_type).toBe("video/mp4");
      expect(JSON.parse(from(id)[0]!.raw.toString("utf8"))).toMatchObject({ status: "OK", payload: r.data });
      expect((await viaProxy(fake, "GET", requestUrl(id))).headers.get("x-fal-billable-units")).toBe("108.9");
      expect(fake.billedUnits(id)).toBe(108.9);
    }
    await pause(100);
    expect(from(waiting).concat(from(obliging))).toEqual([]);
    expect(fake.totalBilledUnits()).toBe(326.7);

    // a finished request, or one already cancelled: 400 ALREADY_COMPLETED, recorded as not honoured
    for (const id of [running, obliging]) {
      expect(await rejection(fal.queue.cancel(ENDPOINT, { requestId: id }))).toMatchObject({ status: 400, body: { status: "ALREADY_COMPLETED" } });
      expect(fake.cancelRequests.at(-1)).toMatchObject({ requestId: id, honoured: false });
    }
    expect(fake.cancels).toEqual([waiting, obliging]);
  });

  it("an unknown request id is 404 NOT_FOUND on every request route", async () => {
    const { fake } = await setup();
    for (const [method, sub] of [["GET", "/status"], ["GET", ""], ["PUT", "/cancel"]] as const) {
      const res = await viaProxy(fake, method, requestUrl("00000000-0000-0000-0000-000000000000", sub));
      expect([res.status, await res.json()], `${method} ${sub}`).toEqual([404, { status: "NOT_FOUND" }]);
    }
    expect(fake.cancelRequests).toEqual([]);
  });
});

describe("fake fal: unkind webhooks (fal.md §3.8)", () => {
  it("payloadError: an OK webhook with payload null and fal's payload_error; the result route still has the video", async () => {
    const { fake, fal } = await setup({ timeline: { queuePositions: [], runMs: 20, webhook: { payloadError: true } } });
    const hook = await startReceiver();
    const { request_id: id } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url: await uploadPng(fal) }, webhookUrl: hook.url });
    await fake.waitFor(() => hook.got[0]);
    const got = hook.got[0]!;
    expect(JSON.parse(got.raw.toString("utf8"))).toEqual({
      request_id: id,
      gateway_request_id: id,
      status: "OK",
      payload: null,
      payload_error:
        "Response payload is not JSON serializable. Either return a JSON serializable object or use the queue endpoint to retrieve the response.",
    });
    expect(await verifyFalWebhook(got.headers, got.raw, fake.jwksUrl)).toBe("ok");
    const r = await fal.queue.result(ENDPOINT, { requestId: id });
    expect(readMp4Info((await download(r.data.video.url)).bytes)).toMatchObject({ width: 1280, height: 720 });
  });

  it("duplicates: once answered 2xx, the same body comes again, freshly signed, with the next attempt numbers", async () => {
    const { fake, fal } = await setup({ webhookRetryDelayMs: 10 });
    const hook = await startReceiver([503]); // the first attempt fails: duplicates follow the retry that succeeded
    fake.nextTimeline({ queuePositions: [], runMs: 10, webhook: { duplicates: 2, duplicateGapMs: 550 } });
    const { request_id: id } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url: await uploadPng(fal) }, webhookUrl: hook.url });
    await fake.waitFor(() => hook.got.length === 4 && fake.webhooks.length === 4, 3000); // recorded once answered: the last may trail its arrival
    expect(fake.webhooks.map((w) => [w.requestId, w.attempt, w.status])).toEqual([
      [id, 1, 503],
      [id, 2, 200],
      [id, 3, 200],
      [id, 4, 200],
    ]);
    expect(new Set(hook.got.map((g) => g.raw.toString("utf8"))).size).toBe(1);
    for (const g of hook.got) expect(await verifyFalWebhook(g.headers, g.raw, fake.jwksUrl)).toBe("ok");
    const gaps = hook.got.slice(2).map((g, i) => g.at - hook.got[i + 1]!.at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(540);
    // 1.1 s after the delivery: a later second, so a fresh signature
    const ts = hook.got.map((g) => Number(g.headers["x-fal-webhook-timestamp"]));
    expect(ts[3]).toBeGreaterThan(ts[1]!);
    expect(hook.got[3]?.headers["x-fal-webhook-signature"]).not.toBe(hook.got[1]?.headers["x-fal-webhook-signature"]);
    await pause(150);
    expect(hook.got).toHaveLength(4);
  });
});

describe("fake fal: late answers, expired outputs and a fault policy", () => {
  it("holdAnswerNext: the submit queues at once and its webhook arrives before the submit's answer", async () => {
    const { fake, fal } = await setup({ timeline: { queuePositions: [], runMs: 20 } });
    const hook = await startReceiver();
    const image_url = await uploadPng(fal);
    fake.holdAnswerNext({ method: "POST", target: /seedance-2\.0\/image-to-video/ }, 400);
    const sent = Date.now();
    let answeredAt = 0;
    const submitted = fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url }, webhookUrl: hook.url }).then((r) => {
      answeredAt = Date.now();
      return r;
    });
    await fake.waitFor(() => fake.submissions.length === 1);
    expect(fake.submissions[0]!.at - sent).toBeLessThan(150); // handled at once
    await fake.waitFor(() => hook.got[0]);
    expect(answeredAt).toBe(0); // the webhook came first
    const { request_id: id } = await submitted;
    expect(id).toBe(fake.submissions[0]?.requestId);
    expect(answeredAt - sent).toBeGreaterThanOrEqual(390);
    expect(hook.got[0]!.at).toBeLessThan(answeredAt);
    expect(hook.got[0]!.headers["x-fal-webhook-request-id"]).toBe(id);
    // one-shot: the next submit is answered at once
    const t0 = Date.now();
    await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url } });
    expect(Date.now() - t0).toBeLessThan(300);
  });

  it("a status stream's answer can be held or lost too", async () => {
    const { fake, fal } = await setup({ timeline: { queuePositions: [], runMs: 10 } });
    const { request_id: id } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url: await uploadPng(fal) } });
    fake.loseAnswerNext({ target: /\/status\/stream/ }, { status: 502, body: { detail: "Bad Gateway" } });
    const lost = await viaProxy(fake, "GET", requestUrl(id, "/status/stream"));
    expect([lost.status, await lost.json()]).toEqual([502, { detail: "Bad Gateway" }]);
    fake.holdAnswerNext({ target: /\/status\/stream/ }, 250);
    const t0 = Date.now();
    const held = await viaProxy(fake, "GET", requestUrl(id, "/status/stream"));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(245);
    expect(held.headers.get("content-type")).toBe("text/event-stream");
    expect(await held.text()).toMatch(/^data: \{"status":"COMPLETED"/);
  });

  it("expireOutput: the output URL answers 401/403/404/410 with a JSON detail, or a 302 elsewhere", async () => {
    const { fake, fal } = await setup({ timeline: { queuePositions: [], runMs: 10 } });
    const image_url = await uploadPng(fal);
    const a = await fal.subscribe(ENDPOINT, { input: { prompt: "p", image_url }, pollInterval: 10 });
    const b = await fal.subscribe(ENDPOINT, { input: { prompt: "p", image_url }, pollInterval: 10 });
    await download(a.data.video.url);
    for (const status of [401, 403, 404, 410] as const) {
      fake.expireOutput(a.requestId, { status });
      const res = await fetch(a.data.video.url);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.json()).toEqual({ detail: expect.any(String) });
      const head = await fetch(a.data.video.url, { method: "HEAD" });
      expect(head.status).toBe(status);
    }
    fake.expireOutput(a.requestId, { redirectTo: "https://v3.fal.media/files/elsewhere/output.mp4" });
    for (const method of ["GET", "HEAD"]) {
      const moved = await fetch(a.data.video.url, { method, redirect: "manual" });
      expect(moved.status).toBe(302);
      expect(moved.headers.get("location")).toBe("https://v3.fal.media/files/elsewhere/output.mp4");
    }
    await download(b.data.video.url); // another request's output is untouched
    expect(await download(image_url)).toMatchObject({ type: "image/png" });
    expect(() => fake.expireOutput("nope", { status: 404 })).toThrow(/unknown request id/);
  });

  it("setPolicy sees every request with its kind, request id and input", async () => {
    const { fake, fal } = await setup({ timeline: { queuePositions: [], runMs: 10 } });
    const seen: FaultRequest[] = [];
    fake.setPolicy((r) => void seen.push(r));
    const image_url = await uploadPng(fal);
    const input = { prompt: "p", image_url };
    const r = await fal.subscribe(ENDPOINT, { input, pollInterval: 10 });
    const id = r.requestId;
    await (await fal.queue.streamStatus(ENDPOINT, { requestId: id })).done();
    await rejection(fal.queue.cancel(ENDPOINT, { requestId: id }));
    await download(r.data.video.url);
    await fetch(fake.jwksUrl);
    await viaProxy(fake, "GET", "https://queue.fal.run/x");
    const kinds = seen.map((s) => s.kind);
    expect([...new Set(kinds)]).toEqual(["upload-initiate", "upload", "submit", "status", "result", "stream", "cancel", "file", "jwks", "other"]);
    expect(seen.find((s) => s.kind === "submit")).toEqual({ kind: "submit", method: "POST", target: submitUrl, input });
    for (const kind of ["status", "result", "stream", "cancel"]) expect(seen.find((s) => s.kind === kind)?.requestId, kind).toBe(id);
    expect(seen.find((s) => s.kind === "file")).toMatchObject({ method: "GET", target: r.data.video.url, requestId: id });
    expect(seen.find((s) => s.kind === "upload")).not.toHaveProperty("requestId");
    fake.setPolicy(undefined);
    const before = seen.length;
    await fal.queue.status(ENDPOINT, { requestId: id });
    expect(seen).toHaveLength(before);
  });

  it("setPolicy decisions: fail (nothing queued), lose (queued, answer lost), holdMs (handled late), holdAnswerMs (handled now, answered late); one-shot rules win", async () => {
    const { fake, fal } = await setup({ timeline: { queuePositions: [], runMs: 10 } });
    const image_url = await uploadPng(fal);
    let next: FaultDecision | undefined;
    fake.setPolicy((r) => (r.kind === "submit" ? next : undefined));
    const submitAt = (after: number) => fake.requests.filter((q) => q.target === submitUrl && q.at >= after);

    // fail: answered instead of handled
    next = { fail: { status: 403, body: { detail: "User is locked. Reason: Exhausted balance." } } };
    const locked = await rejection(fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url } }));
    expect(locked).toBeInstanceOf(ApiError);
    expect(locked).toMatchObject({ status: 403, body: { detail: "User is locked. Reason: Exhausted balance." } });
    expect(fake.submissions).toHaveLength(0);

    // lose: handled (queued, rendered, billed), the answer cut off
    next = { lose: "reset" };
    await expect(viaProxy(fake, "POST", submitUrl, { prompt: "p", image_url })).rejects.toThrow(/fetch failed/);
    expect(fake.submissions).toHaveLength(1);
    await fake.waitFor(() => fake.billedUnits(fake.submissions[0]!.requestId) === 108.9);
    next = { lose: { status: 502, body: { detail: "Bad Gateway" } } };
    const gateway = await viaProxy(fake, "POST", submitUrl, { prompt: "p", image_url });
    expect([gateway.status, await gateway.json()]).toEqual([502, { detail: "Bad Gateway" }]);
    expect(fake.submissions).toHaveLength(2);

    // holdMs: the job is created only after the hold
    next = { holdMs: 250 };
    let t0 = Date.now();
    const held = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(245);
    expect(fake.jobs.get(held.request_id)!.submittedAt - submitAt(t0)[0]!.at).toBeGreaterThanOrEqual(245);

    // holdAnswerMs: the job is created at once, the answer comes late
    next = { holdAnswerMs: 250 };
    t0 = Date.now();
    const late = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(245);
    expect(fake.jobs.get(late.request_id)!.submittedAt - submitAt(t0)[0]!.at).toBeLessThan(100);

    // a one-shot rule takes precedence: the policy's fail is not applied to that request
    next = { fail: { status: 403, body: { detail: "policy" } } };
    fake.failNext({ method: "POST", target: /image-to-video/ }, { status: 400, body: { detail: "one-shot" } });
    expect(await rejection(fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url } }))).toMatchObject({ status: 400, body: { detail: "one-shot" } });
    fake.holdNext({ method: "POST", target: /image-to-video/ }, 1);
    const ruled = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url } });
    expect(fake.jobs.has(ruled.request_id)).toBe(true);
    expect(await rejection(fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_url } }))).toMatchObject({ status: 403 });
    expect(fake.submissions).toHaveLength(5);
  });
});

/** A loopback "CDN" serving fixed bodies by path (anything else 404), counting GETs per path. */
async function startImageHost(files: Record<string, { body: Buffer; type: string }>): Promise<{ url(path: string): string; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const f = files[path];
    if (!f) res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
    else res.writeHead(200, { "Content-Type": f.type, "Content-Length": f.body.length }).end(f.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: (path) => `${base}${path}`, hits };
}

const NSFW_SYNC = `https://fal.run/${NSFW_ENDPOINT}`;
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from("fake jpeg body")]);
const GIF = Buffer.from("GIF89a fake gif body", "latin1");

describe("fake fal: the NSFW classifier fal-ai/imageutils/nsfw", () => {
  it("fal.run answers a registered image's probability, an unknown image the default; 1 billable unit; nothing in submissions or jobs", async () => {
    const { fake, fal } = await setup();
    const host = await startImageHost({ "/a.jpg": { body: JPEG, type: "image/jpeg" }, "/b.gif": { body: GIF, type: "image/gif" } });
    const uploaded = await uploadPng(fal); // the fake's own storage
    fake.setNsfwProbability(PNG, 0.93);
    fake.setNsfwProbability(new Uint8Array(GIF), 0.4);
    expect(fake.nsfwScores.get(sha256Hex(PNG))).toBe(0.93);

    const registered = await fal.run(NSFW_ENDPOINT, { input: { image_url: uploaded } });
    expect(registered.data).toEqual({ nsfw_probability: 0.93 });
    expect(registered.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const gif = await fal.run(NSFW_ENDPOINT, { input: { image_url: host.url("/b.gif") } });
    expect(gif.data).toEqual({ nsfw_probability: 0.4 });
    const unknown = await fal.run(NSFW_ENDPOINT, { input: { image_url: host.url("/a.jpg") } });
    expect(unknown.data).toEqual({ nsfw_probability: 0.01 });
    expect(host.hits.get("/a.jpg")).toBe(1); // downloaded, once
    fake.setDefaultNsfwProbability(0.5);
    expect((await fal.run(NSFW_ENDPOINT, { input: { image_url: host.url("/a.jpg") } })).data).toEqual({ nsfw_probability: 0.5 });
    expect(() => fake.setDefaultNsfwProbability(1.5)).toThrow(RangeError);
    expect(() => fake.setNsfwProbability(PNG, -0.1)).toThrow(RangeError);

    expect(fake.nsfwChecks.map((c) => [c.imageUrl, c.probability, c.status, c.via])).toEqual([
      [uploaded, 0.93, 200, "sync"],
      [host.url("/b.gif"), 0.4, 200, "sync"],
      [host.url("/a.jpg"), 0.01, 200, "sync"],
      [host.url("/a.jpg"), 0.5, 200, "sync"],
    ]);
    expect(fake.nsfwChecks[0]?.requestId).toBe(registered.requestId);
    const calls = fake.requests.filter((r) => r.target === NSFW_SYNC);
    expect(calls).toHaveLength(4);
    expect(calls.every((r) => r.method === "POST" && r.auth === "Key test-key" && r.status === 200)).toBe(true);
    expect(calls[0]?.json).toEqual({ image_url: uploaded });

    const raw = await viaProxy(fake, "POST", NSFW_SYNC, { image_url: uploaded });
    expect(raw.headers.get("x-fal-billable-units")).toBe("1");
    expect(raw.headers.get("x-fal-request-id")).toBe(fake.nsfwChecks.at(-1)?.requestId);
    const refused = await viaProxy(fake, "POST", NSFW_SYNC, { image_url: host.url("/missing.png") });
    expect(refused.status).toBe(422);
    expect(refused.headers.get("x-fal-billable-units")).toBeNull();

    expect(fake.submissions).toHaveLength(0);
    expect(fake.jobs.size).toBe(0);
    expect(fake.totalBilledUnits()).toBe(0);
  });

  it("an image fal cannot download or open, and a bad input, are 422 (ValidationError, an ApiError) with fal's detail", async () => {
    const { fake, fal } = await setup();
    const host = await startImageHost({ "/note.txt": { body: Buffer.from("not an image"), type: "image/png" } });
    const closed = await startImageHost({});
    const deadUrl = closed.url("/gone.png");
    await closers.pop()?.(); // nothing listens there any more
    const cases: Array<[unknown, string, string]> = [
      [{ image_url: host.url("/nope.png") }, "image_url", "file_download_error"], // 404
      [{ image_url: deadUrl }, "image_url", "file_download_error"], // connection refused
      [{ image_url: `${fake.baseUrl}/files/unknown/x.png` }, "image_url", "file_download_error"], // not in its storage
      [{ image_url: host.url("/note.txt") }, "image_url", "image_load_error"], // not an image
      [{ image_url: `data:text/plain;base64,${Buffer.from("hi").toString("base64")}` }, "image_url", "image_load_error"],
      [{}, "image_url", "missing"],
      [{ image_url: 42 }, "image_url", "string_type"],
      [{ image_url: "" }, "image_url", "url_parsing"],
      [{ image_url: host.url("/note.txt"), threshold: 0.5 }, "threshold", "extra_forbidden"],
    ];
    for (const [input, field, type] of cases) {
      const err = await rejection(fal.run(NSFW_ENDPOINT, { input: input as { image_url: string } }));
      expect(err, type).toBeInstanceOf(ValidationError);
      expect(err).toBeInstanceOf(ApiError);
      expect(err.status).toBe(422);
      expect(err.body.detail[0], JSON.stringify(input)).toMatchObject({ loc: ["body", field], type });
    }
    const [download] = (await rejection(fal.run(NSFW_ENDPOINT, { input: { image_url: host.url("/nope.png") } }))).body.detail;
    expect(download).toMatchObject({ msg: expect.stringMatching(/^Failed to download the file/), input: host.url("/nope.png") });
    expect(host.hits.get("/nope.png")).toBe(2);
    // a data URI of an image is decoded, not downloaded
    const data = `data:image/png;base64,${PNG.toString("base64")}`;
    expect((await fal.run(NSFW_ENDPOINT, { input: { image_url: data } })).data).toEqual({ nsfw_probability: 0.01 });

    expect(fake.nsfwChecks).toHaveLength(cases.length + 2);
    expect(fake.nsfwChecks.slice(0, -1).every((c) => c.status === 422 && c.probability === null)).toBe(true);
    expect(fake.nsfwChecks.map((c) => c.imageUrl).slice(5, 8)).toEqual(["", "", ""]);
    expect(fake.submissions).toHaveLength(0);
  });

  it("goes through the injected faults: failNext 503 (fal.run retries it), 500, a lost answer; the key check", async () => {
    const { fake, fal } = await setup({ key: "test-key" });
    const image_url = await uploadPng(fal);
    const target = /imageutils\/nsfw/;

    // 503 on every attempt: fal.run tries 4 times, then throws; the classifier was never reached
    fake.failNext({ target }, { status: 503, body: { detail: "Service Unavailable" } }, 4);
    const down = await rejection(fal.run(NSFW_ENDPOINT, { input: { image_url } }));
    expect(down).toBeInstanceOf(ApiError);
    expect(down).toMatchObject({ status: 503, body: { detail: "Service Unavailable" } });
    expect(fake.requests.filter((r) => r.target === NSFW_SYNC).map((r) => r.status)).toEqual([503, 503, 503, 503]);
    expect(fake.nsfwChecks).toHaveLength(0);

    // 503 once: retried, classified once
    fake.failNext({ method: "POST", target }, { status: 503, body: { detail: "Service Unavailable" } });
    expect((await fal.run(NSFW_ENDPOINT, { input: { image_url } })).data).toEqual({ nsfw_probability: 0.01 });
    expect(fake.requests.filter((r) => r.target === NSFW_SYNC).map((r) => r.status).slice(4)).toEqual([503, 200]);
    expect(fake.nsfwChecks).toHaveLength(1);

    // 500 is not retried; a fault on Seedance's submit leaves it alone
    fake.failNext({ target: /image-to-video/ }, { status: 500, body: { detail: "seedance only" } });
    fake.setPolicy((r) => (r.kind === "submit" && /imageutils\/nsfw/.test(r.target) ? { fail: { status: 500, body: { detail: "runner died" } } } : undefined));
    expect(await rejection(fal.run(NSFW_ENDPOINT, { input: { image_url } }))).toMatchObject({ status: 500, body: { detail: "runner died" } });
    fake.setPolicy(undefined);
    expect(fake.nsfwChecks).toHaveLength(1);

    // a lost answer: classified (recorded), the client gets the gateway's 502... and retries it
    fake.loseAnswerNext({ target }, { status: 502, body: { detail: "Bad Gateway" } });
    expect((await fal.run(NSFW_ENDPOINT, { input: { image_url } })).data).toEqual({ nsfw_probability: 0.01 });
    expect(fake.nsfwChecks.map((c) => c.status)).toEqual([200, 200, 200]);

    // a wrong key never reaches it
    const stranger = createFalClient({ credentials: "wrong", proxyUrl: { url: fake.proxyUrl, when: "always" } });
    expect(await rejection(stranger.run(NSFW_ENDPOINT, { input: { image_url } }))).toMatchObject({ status: 401, body: { detail: "invalid key credentials" } });
    expect(await rejection(stranger.queue.submit(NSFW_ENDPOINT, { input: { image_url } }))).toMatchObject({ status: 401 });
    expect(fake.nsfwChecks).toHaveLength(3);
    expect(fake.submissions).toHaveLength(0);
  });

  it("the queue path: submit, status, stream, result (1 billable unit), cancel; bad input refused at submit; still no submissions", async () => {
    const { fake, fal } = await setup();
    const image_url = await uploadPng(fal);
    fake.setNsfwProbability(PNG, 0.77);
    const queued = await fal.queue.submit(NSFW_ENDPOINT, { input: { image_url } });
    const id = queued.request_id;
    expect(queued).toMatchObject({ status: "IN_QUEUE", status_url: `https://queue.fal.run/fal-ai/imageutils/requests/${id}/status` });
    await fal.queue.subscribeToStatus(NSFW_ENDPOINT, { requestId: id, pollInterval: 10 });
    await (await fal.queue.streamStatus(NSFW_ENDPOINT, { requestId: id })).done();
    const result = await fal.queue.result(NSFW_ENDPOINT, { requestId: id });
    expect(result).toEqual({ data: { nsfw_probability: 0.77 }, requestId: id });
    const raw = await viaProxy(fake, "GET", `https://queue.fal.run/fal-ai/imageutils/requests/${id}`);
    expect(raw.headers.get("x-fal-billable-units")).toBe("1");
    expect(await rejection(fal.queue.cancel(NSFW_ENDPOINT, { requestId: id }))).toMatchObject({ status: 400 });
    expect((await fal.subscribe(NSFW_ENDPOINT, { input: { image_url: "http://127.0.0.1:1/x.png" }, pollInterval: 10 }).catch((e) => e)).body.detail[0]).toMatchObject({
      type: "file_download_error",
    });
    const refused = await rejection(fal.queue.submit(NSFW_ENDPOINT, { input: { image_url: "no" } }));
    expect(refused).toMatchObject({ status: 422, body: { detail: [{ loc: ["body", "image_url"], type: "url_parsing" }] } });
    expect(await rejection(fal.queue.status(NSFW_ENDPOINT, { requestId: "nope" }))).toMatchObject({ status: 404 });
    expect(fake.nsfwChecks.map((c) => [c.probability, c.status, c.via, c.requestId !== undefined])).toEqual([
      [0.77, 200, "queue", true],
      [null, 422, "queue", true],
      [null, 422, "queue", false],
    ]);
    expect(fake.submissions).toHaveLength(0);
    expect(fake.jobs.size).toBe(0);
  });
});
