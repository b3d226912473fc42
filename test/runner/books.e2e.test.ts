import { afterEach, describe, expect, it } from "vitest";
import { billedMicros, unitPriceMicros } from "../../src/seedance/pricing.js";
import type { JobTimeline } from "../fakes/fal/index.js";
import { buttonOf, doneMessage, quotaText, runVideo, startHarness, videoMessages, type Harness } from "../support/harness.js";
import { freePort } from "../support/net.js";

let h: Harness;
afterEach(async () => h?.close());

const NOTHING_HELD = /Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/;
const STATUS = { method: "GET", target: /\/status/ };
const RESULT = { method: "GET", target: /\/requests\/[^/]+$/ };

/** What fal bills for a request, in µ$ (its own record: what it charges, told or not). */
const falBill = (h: Harness, requestId: string) => billedMicros(h.fal.billedUnits(requestId)!, unitPriceMicros(h.bot.services.tier));
const books = (h: Harness) => h.bot.services.budget.operatorBooks();

/** Presses Cancel on the job's progress card once it says `showing`. */
async function cancelWhen(h: Harness, interactionId: string, showing: string) {
  const card = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interactionId && m.text.includes(showing)), 10_000);
  await h.discord.clickButton({ messageId: card.id, customId: buttonOf(card, "cancel").custom_id, user: h.discord.users.requester });
  return card;
}

describe("fal's cancel is only a request", () => {
  it("a cancel fal takes (202) but renders anyway: the member is refunded and told, no video is posted, and fal's bill goes on the books", async () => {
    // next in line at fal (position 0): fal answers 202 and starts it all the same
    // fal bills 100 units ($1.40), not the estimate: the books must show fal's figure
    h = await startHarness({ fal: { timeline: { queuePositions: [0], stepMs: 1_500, runMs: 400, billableUnits: 100 } } });
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await cancelWhen(h, i.id, "Queued at fal");
    const cancelled = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === i.id && m.text.includes("Cancelled by")), 10_000);
    expect(cancelled.text).toContain("Nothing was charged");
    const requestId = h.fal.submissions[0]!.requestId;
    expect(h.fal.cancelRequests).toEqual([expect.objectContaining({ requestId, honoured: false })]);
    // the books stay open until fal says the request ended, then carry what it billed
    await h.discord.waitFor(() => /fal finished a job the bot had ended/.test(h.logs()), 10_000);
    expect(h.fal.billedUnits(requestId)).toBeGreaterThan(0);
    expect(falBill(h, requestId)).toBe(1_400_000);
    expect((await books(h)).total).toMatchObject({ billedMicros: 1_400_000, reservedMicros: 0, chargedMicros: 0 });
    expect(await quotaText(h)).toMatch(NOTHING_HELD);
    expect(videoMessages(h)).toHaveLength(0);
  });

  it("a cancel fal honours (queued behind others) books nothing: fal's own word that it never rendered", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [3, 2, 1, 0], stepMs: 2_000, runMs: 300 } } });
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await cancelWhen(h, i.id, "Queued at fal: position 3");
    await h.discord.waitFor(() => /fal finished a job the bot had ended/.test(h.logs()), 10_000);
    const requestId = h.fal.submissions[0]!.requestId;
    expect(h.fal.cancels).toEqual([requestId]);
    expect(h.fal.billedUnits(requestId)).toBe(0);
    expect((await books(h)).total).toMatchObject({ billedMicros: 0, reservedMicros: 0 });
    expect(await quotaText(h)).toMatch(NOTHING_HELD);
  });

  it("a job timed out at fal is followed to its end: fal's bill is booked, never $0 on a guess", async () => {
    h = await startHarness({ env: { JOB_TIMEOUT_MINUTES: "0.03" }, fal: { timeline: { queuePositions: [0], stepMs: 2_500, runMs: 300, billableUnits: 100 } } });
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === i.id && m.text.includes("took longer than")), 10_000);
    await h.discord.waitFor(() => /fal finished a job the bot had ended/.test(h.logs()), 10_000);
    const requestId = h.fal.submissions[0]!.requestId;
    expect((await books(h)).total.billedMicros).toBe(falBill(h, requestId));
    expect(falBill(h, requestId)).toBe(1_400_000);
    expect(await quotaText(h)).toMatch(NOTHING_HELD);
  });

  it("an ended job whose result call fails for a passing reason is asked again, and booked what fal billed", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [0], stepMs: 1_500, runMs: 300, billableUnits: 100 } } });
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await cancelWhen(h, i.id, "Queued at fal");
    h.fal.failNext(RESULT, { status: 500, body: {} }, 3); // a server error without details: passing
    await h.discord.waitFor(() => /fal finished a job the bot had ended/.test(h.logs()), 15_000);
    expect(falBill(h, h.fal.submissions[0]!.requestId)).toBe(1_400_000);
    expect(h.fal.requests.filter((r) => r.method === "GET" && /\/requests\/[^/]+$/.test(r.path)).map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect((await books(h)).total.billedMicros).toBe(1_400_000);
  });

  it("an ended job whose end fal never tells is booked at the estimate, not $0", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [0], stepMs: 1_500, runMs: 300 } } });
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await cancelWhen(h, i.id, "Queued at fal");
    h.fal.failNext(RESULT, { status: 500, body: {} }, 1_000);
    await h.discord.waitFor(() => /fal finished a job the bot had ended/.test(h.logs()), 20_000);
    expect((await books(h)).total).toMatchObject({ billedMicros: 1_524_600, reservedMicros: 0 }); // the 5 s 720p estimate
  });
});

/** The bot with fal's webhooks on: its HTTP port known up front, fal's keys at the fake's JWKS. */
async function withWebhooks(timeline: Partial<JobTimeline>) {
  const port = await freePort();
  return startHarness({
    fal: { timeline, webhookRetryDelayMs: 300 },
    env: ({ fal }) => ({ HTTP_PORT: String(port), FAL_WEBHOOK_URL: `http://127.0.0.1:${port}/fal/webhook`, FAL_JWKS_URL: fal.jwksUrl, FAL_POLL_INTERVAL_MS: "200" }),
  });
}

describe("webhooks as fal sends them", () => {
  it("an OK webhook without a payload (payload_error): the video comes from the result route, with fal's billed units", async () => {
    h = await withWebhooks({ queuePositions: [0], stepMs: 50, runMs: 200, webhook: { payloadError: true } });
    h.fal.failNext(STATUS, { status: 500, body: { detail: "status is down" } }, 1_000); // only the webhook tells the end
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await doneMessage(h, i.id);
    const requestId = h.fal.submissions[0]!.requestId;
    expect(h.fal.webhooks.find((w) => w.status === 200)?.body).toContain('"payload_error"');
    expect(videoMessages(h)).toHaveLength(1);
    expect((await books(h)).total).toMatchObject({ billedMicros: falBill(h, requestId), chargedMicros: 1_524_600 });
  });

  it("a webhook that comes before the bot knows its request gets 404, so fal sends it again; the job ends by it once", async () => {
    h = await withWebhooks({ queuePositions: [0], stepMs: 20, runMs: 50 });
    h.fal.failNext(STATUS, { status: 500, body: { detail: "status is down" } }, 1_000);
    // fal queues and finishes the job at once, but its answer to the submit comes late: the webhook is first
    h.fal.holdAnswerNext({ method: "POST", target: /\/image-to-video(\?|$)/ }, 800);
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await doneMessage(h, i.id);
    const statuses = h.fal.webhooks.map((w) => w.status);
    expect(statuses[0]).toBe(404);
    expect(statuses.at(-1)).toBe(200);
    expect(videoMessages(h)).toHaveLength(1);
  });
});
