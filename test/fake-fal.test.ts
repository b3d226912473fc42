/**
 * The fake fal server, driven by the real @fal-ai/client (proxyUrl mode, plus one direct-mode check).
 */
import { ApiError, ValidationError, createFalClient, type QueueStatus } from "@fal-ai/client";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeFal, type FakeFalOptions, startFakeFal } from "./fakes/fal/index.js";
import { makeMp4, readMp4Info } from "./fakes/mp4.js";

const ENDPOINT = "bytedance/seedance-2.0/image-to-video";
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
const FAST = { queuePositions: [2, 1, 0], stepMs: 30, runMs: 90 };

let fakes: FakeFal[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
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
