import { afterEach, describe, expect, it } from "vitest";
import { billedMicros, unitPriceMicros } from "../../src/seedance/pricing.js";
import { DEFAULT_BOT_PERMISSIONS, P } from "../fakes/discord/index.js";
import { bodyText, deliveredVideo, quotaText, runVideo, startHarness, videoMessages, type Harness } from "../support/harness.js";

let h: Harness;
afterEach(async () => h?.close());

const NOTHING_HELD = /Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/;
/** Downloads of the finished video from fal's storage. */
const videoDownloads = (h: Harness) => h.fal.requests.filter((r) => r.method === "GET" && r.path.startsWith("/files/") && r.path.endsWith("output.mp4"));
const resultPosts = (h: Harness) => h.discord.requests.filter((r) => r.method === "POST" && r.path === `/channels/${h.discord.channelId}/messages` && /your video is ready/.test(bodyText(r.json)));
const books = (h: Harness) => h.bot.services.budget.operatorBooks();

describe("delivery ends", () => {
  it("an upload Discord keeps failing: the video is downloaded once, and past DELIVERY_TIMEOUT_MINUTES a link to fal's copy is posted instead", async () => {
    h = await startHarness({ env: { DELIVERY_TIMEOUT_MINUTES: "0.05" }, fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 100 } } });
    h.discord.setPolicy((r) => (r.route === "message.create" && r.files > 0 ? { fail: { status: 502, body: { code: 0, message: "Bad Gateway" } } } : undefined));
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const done = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === i.id && m.text.includes("✅ Done")), 20_000);
    const posted = resultPosts(h).filter((r) => r.status === 200);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.files ?? []).toHaveLength(0);
    expect(bodyText(posted[0]!.json)).toContain(h.fal.jobs.get(h.fal.submissions[0]!.requestId)!.videoUrl!);
    expect(done.text).toContain(`/${(posted[0]!.response as { id: string }).id}`);
    expect(videoDownloads(h)).toHaveLength(1); // kept between attempts, never fetched again
    expect(await quotaText(h)).toMatch(/Spent \$1\.53 · held for running jobs \$0\.00/);
  });

  it("where not even a link can be posted in time, the job ends 'not delivered': the member is refunded and told, fal's bill stays on the books", async () => {
    h = await startHarness({ env: { DELIVERY_TIMEOUT_MINUTES: "0.05" }, fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 100, billableUnits: 100 } } });
    h.discord.setPolicy((r) => (r.route === "message.create" && /your video is ready/.test(JSON.stringify(r)) ? undefined : r.route === "message.create" ? { fail: { status: 503, body: { code: 0, message: "Service Unavailable" } } } : undefined));
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const ended = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === i.id && m.text.includes("Not delivered")), 25_000);
    expect(ended.text).toContain("Nothing was charged");
    expect(videoMessages(h)).toHaveLength(0);
    expect(await quotaText(h)).toMatch(NOTHING_HELD);
    const requestId = h.fal.submissions[0]!.requestId;
    expect((await books(h)).total).toMatchObject({ billedMicros: billedMicros(h.fal.billedUnits(requestId)!, unitPriceMicros(h.bot.services.tier)), reservedMicros: 0, chargedMicros: 0 });
  });

  for (const [what, expiry] of [["a 403", { status: 403 as const }], ["a 401", { status: 401 as const }], ["a redirect", { redirectTo: "https://elsewhere.invalid/v.mp4" }]] as const) {
    it(`fal's copy answering ${what} is final: not retried, the job ends at once, refunded, fal's bill on the books`, async () => {
      h = await startHarness({ fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 300 } } });
      const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
      await h.fal.waitFor(() => h.fal.submissions.length === 1);
      h.fal.expireOutput(h.fal.submissions[0]!.requestId, expiry);
      const started = Date.now();
      const ended = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === i.id && m.text.includes("❌")), 10_000);
      expect(ended.text).toContain("no longer at fal");
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(videoDownloads(h)).toHaveLength(1);
      expect(await quotaText(h)).toMatch(NOTHING_HELD);
      expect((await books(h)).total.billedMicros).toBe(1_524_600);
    });
  }

  it("an upload slower than discord.js's 15 s request timeout still gets through: uploads have a timeout that fits their size", async () => {
    // a 4 MiB video at 230 KB/s takes about 18 s to upload
    h = await startHarness({ fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 100, outcome: { kind: "video", padToBytes: 4 * 1024 * 1024 } } } });
    h.discord.setPolicy((r) => (r.route === "message.create" && r.files > 0 ? { bytesPerSecond: 230_000 } : undefined));
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === i.id && m.text.includes("✅ Done")), 40_000);
    const uploads = resultPosts(h).filter((r) => (r.files?.length ?? 0) > 0);
    expect(uploads.filter((r) => r.status === 200)).toHaveLength(1);
    expect(uploads.filter((r) => r.abandoned)).toHaveLength(0); // never given up on at 15 s
    expect(videoMessages(h)).toHaveLength(1);
  }, 60_000);

  it("a moderator hiding the channel for a moment (50001 on edits) stops the edits, never the job: the take is delivered when access comes back", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 200 } } });
    const { result } = await deliveredVideo(h);
    h.fal.nextTimeline({ queuePositions: [0], stepMs: 50, runMs: 2_500 });
    await h.discord.react({ messageId: result.id, emoji: "🔁", user: h.discord.users.requester });
    // the take's progress card is a channel message (edited with the bot's own permissions)
    await h.discord.waitFor(() => h.discord.messages().find((m) => m.message_reference?.message_id === result.id && m.text.includes("Rendering since")), 10_000);
    h.discord.setBotPermissions(DEFAULT_BOT_PERMISSIONS & ~P.VIEW_CHANNEL);
    await h.discord.waitFor(() => h.discord.requests.find((r) => r.method === "PATCH" && r.path.startsWith("/channels/") && r.status === 403), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    h.discord.setBotPermissions(DEFAULT_BOT_PERMISSIONS);
    await h.discord.waitFor(() => videoMessages(h).length === 2, 20_000);
    await h.discord.waitFor(() => (h.logs().match(/"msg":"budget settled"/g) ?? []).length === 2, 5_000);
    expect(h.logs()).not.toMatch(/job abandoned/);
    expect(await quotaText(h)).toMatch(/Spent \$3\.05 · held for running jobs \$0\.00/);
  });
});
