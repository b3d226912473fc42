import { ApiError, ValidationError } from "@fal-ai/client";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isTransient } from "../../src/jobs/faults.js";
import { SubmitNotSent, SubmitOutcomeUnknown, submitOnce } from "../../src/seedance/submit.js";

const input = { prompt: "p", image_url: "https://v3.fal.media/files/x.png", resolution: "720p", duration: "5", aspect_ratio: "16:9", generate_audio: true } as const;

let server: Server | undefined;
let received = 0;
afterEach(async () => {
  if (server) await new Promise<void>((r) => server!.close(() => r()));
  server?.closeAllConnections();
  server = undefined;
});

/** A loopback "fal" that answers each submit with `answer`, counting what it received. */
async function fal(answer: (res: import("node:http").ServerResponse) => void): Promise<string> {
  received = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      answer(res);
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/fal/proxy`;
}

const json = (status: number, body: unknown) => (res: import("node:http").ServerResponse) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

const target = (proxyUrl: string) => ({ model: "bytedance/seedance-2.0/image-to-video", falKey: "k", proxyUrl, timeoutMs: 2_000 });

async function outcome(p: Promise<unknown>): Promise<unknown> {
  return p.then((v) => v, (err: unknown) => err);
}

describe("the fal submit, sent once", () => {
  it("returns fal's request id", async () => {
    const url = await fal(json(200, { request_id: "r-1", queue_position: 2 }));
    expect(await submitOnce(target(url), input)).toEqual({ requestId: "r-1", queuePosition: 2 });
  });

  it("calls a lost answer unknown and never retries it: a gateway error, a cut connection, a timeout", async () => {
    for (const answer of [json(502, { detail: "Bad Gateway" }), json(503, {}), (res: import("node:http").ServerResponse) => res.socket!.destroy(), () => undefined]) {
      const url = await fal(answer);
      const err = await outcome(submitOnce(target(url), input));
      expect(err).toBeInstanceOf(SubmitOutcomeUnknown);
      expect(received).toBe(1);
      await new Promise<void>((r) => server!.close(() => r()));
      server!.closeAllConnections();
      server = undefined;
    }
  });

  it("calls a refused connection 'not sent' (safe to send later) and fal's 4xx what it is", async () => {
    const closed = await fal(json(200, {}));
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const notSent = await outcome(submitOnce(target(closed), input));
    expect(notSent).toBeInstanceOf(SubmitNotSent);
    expect(isTransient(notSent)).toBe(true);

    const busy = await outcome(submitOnce(target(await fal(json(429, { detail: "queue full" }))), input));
    expect(busy).toBeInstanceOf(ApiError);
    expect((busy as ApiError<unknown>).status).toBe(429);
    expect(isTransient(busy)).toBe(true);
    await new Promise<void>((r) => server!.close(() => r()));
    server!.closeAllConnections();

    const invalid = await outcome(submitOnce(target(await fal(json(422, { detail: [{ loc: ["body", "prompt"], msg: "bad", type: "value_error" }] }))), input));
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(isTransient(invalid)).toBe(false);
    expect(isTransient(new SubmitOutcomeUnknown("lost"))).toBe(false);
  });
});
