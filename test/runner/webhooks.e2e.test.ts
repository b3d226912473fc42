import { afterEach, describe, expect, it } from "vitest";
import type { JobTimeline } from "../fakes/fal/index.js";
import { doneMessage, runVideo, startHarness, videoMessages, type Harness } from "../support/harness.js";
import { freePort } from "../support/net.js";

let h: Harness;
afterEach(async () => h?.close());

/** The bot with fal's webhooks on: its HTTP port known up front, fal's keys at the fake's JWKS. */
async function withWebhooks(timeline: Partial<JobTimeline> = {}) {
  const port = await freePort();
  return startHarness({
    fal: { timeline },
    env: ({ fal }) => ({ HTTP_PORT: String(port), FAL_WEBHOOK_URL: `http://127.0.0.1:${port}/fal/webhook`, FAL_JWKS_URL: fal.jwksUrl, FAL_POLL_INTERVAL_MS: "200" }),
  });
}

const STATUS = { method: "GET", target: /\/status/ };

describe("fal webhooks", () => {
  it("a verified webhook completes a job whose status route keeps failing, once", async () => {
    h = await withWebhooks({ queuePositions: [0], stepMs: 50, runMs: 300 });
    h.fal.failNext(STATUS, { status: 500, body: { detail: "status is down" } }, 1_000);
    const submitted = Date.now();
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.fal.waitFor(() => h.fal.submissions.length === 1);
    expect(h.fal.submissions[0]!.webhookUrl).toBe(h.env.FAL_WEBHOOK_URL);
    await doneMessage(h, i.id);
    expect(Date.now() - submitted).toBeLessThan(10_000); // not fal's client's half-minute of status retries
    expect(h.fal.webhooks.filter((w) => w.status === 200)).toHaveLength(1);
    expect(videoMessages(h)).toHaveLength(1);
    expect(h.fal.requests.filter((r) => /\/requests\/[^/]+$/.test(r.path))).toEqual([]); // no result call: the webhook carried it
    expect(h.logs()).toMatch(/"msg":"fal webhook received"/);
  });

  it("refuses a webhook without headers, with a bad signature, a stale timestamp or another body (401), and a replay changes nothing", async () => {
    h = await withWebhooks({ queuePositions: [0], stepMs: 50, runMs: 200 });
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await doneMessage(h, i.id);
    const requestId = h.fal.submissions[0]!.requestId;
    // a timestamp ten minutes ahead is refused as one ten minutes old is: both are outside fal's five minutes
    for (const tamper of ["no-headers", "bad-signature", "stale-timestamp", "future-timestamp", "other-body"] as const) {
      expect((await h.fal.resendWebhook(requestId, tamper)).status, tamper).toBe(401);
    }
    expect((await h.fal.resendWebhook(requestId)).status).toBe(200); // a genuine repeat: accepted, and nothing happens
    await new Promise((r) => setTimeout(r, 500));
    expect(videoMessages(h)).toHaveLength(1);
    expect((h.logs().match(/"msg":"fal webhook refused"/g) ?? []).length).toBe(5);
  });

  it("a forged webhook for a job still at fal changes nothing", async () => {
    h = await withWebhooks({ queuePositions: [3, 2, 1], stepMs: 1_500, runMs: 300 });
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.fal.waitFor(() => h.fal.submissions.length === 1);
    const requestId = h.fal.submissions[0]!.requestId;
    const forged = JSON.stringify({ request_id: requestId, status: "OK", payload: { video: { url: "https://forged.invalid/x.mp4" }, seed: 1 } });
    const res = await fetch(h.env.FAL_WEBHOOK_URL!, {
      method: "POST",
      headers: { "content-type": "application/json", "x-fal-webhook-request-id": requestId, "x-fal-webhook-user-id": "u", "x-fal-webhook-timestamp": String(Math.floor(Date.now() / 1000)), "x-fal-webhook-signature": "ab".repeat(64) },
      body: forged,
    });
    expect(res.status).toBe(401);
    await doneMessage(h, i.id);
    expect(videoMessages(h)[0]!.attachments[0]!.size).toBe(h.fal.jobs.get(requestId)!.video!.length);
  });
});
