import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_BOT_PERMISSIONS, P } from "../fakes/discord/payloads.js";
import { ephemeralText, runVideo, startHarness, type Harness, bodyText } from "../support/harness.js";

let h: Harness;
afterEach(async () => h?.close());

const videoPosts = (h: Harness) => h.discord.requests.filter((r) => r.method === "POST" && r.path === `/channels/${h.discord.channelId}/messages` && r.status === 200 && /your video is ready/.test(bodyText(r.json)));

async function budgetText(h: Harness): Promise<string> {
  const show = await h.discord.slashCommand({ name: "quota", user: h.discord.users.requester, options: [{ name: "show", type: 1, options: [] }] });
  return h.discord.waitFor(() => ephemeralText(h, show));
}

describe("faults on the way", () => {
  it("keeps going through the channel with the bot token once the interaction token has expired", async () => {
    h = await startHarness({ discord: { interactionTokenTtlMs: 1_200 }, fal: { timeline: { queuePositions: [1, 0], stepMs: 700, runMs: 900 } } });
    const { discord } = h;
    await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await discord.waitFor(() => videoPosts(h).length === 1, 15_000);
    const edits = discord.requests.filter((r) => r.method === "PATCH");
    expect(edits.some((r) => r.path.startsWith("/webhooks/") && r.status === 200)).toBe(true);
    const viaChannel = edits.filter((r) => r.path.startsWith("/channels/"));
    expect(viaChannel.length).toBeGreaterThan(0);
    expect(viaChannel.every((r) => r.auth === `Bot ${discord.token}`)).toBe(true);
    expect(videoPosts(h)[0]!.auth).toBe(`Bot ${discord.token}`);
    await discord.waitFor(() => discord.messages().find((m) => m.text.includes("✅ Done")), 5_000);
  });

  it("gives up on a render that never ends, refunds and says so", async () => {
    h = await startHarness({ env: { JOB_TIMEOUT_MINUTES: "0.03" }, fal: { timeline: { queuePositions: [0], stepMs: 50, outcome: { kind: "never" } } } });
    const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const ended = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("took longer than")), 10_000);
    expect(ended.text).toContain("Nothing was charged");
    expect(await budgetText(h)).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/);
    h.fal.release(h.fal.submissions[0]!.requestId); // a late result changes nothing
    await new Promise((r) => setTimeout(r, 500));
    expect(videoPosts(h)).toHaveLength(0);
  });

  it("cancels a job at fal when the watchdog ends it while still queued", async () => {
    h = await startHarness({ env: { JOB_TIMEOUT_MINUTES: "0.03" }, fal: { timeline: { queuePositions: [4, 3], stepMs: 60_000 } } });
    await runVideo(h, { duration: 4, resolution: "480p", aspect_ratio: "1:1" });
    await h.fal.waitFor(() => h.fal.cancels.length === 1, 10_000);
    expect(h.fal.cancels[0]).toBe(h.fal.submissions[0]!.requestId);
  });

  it("rides out fal 500s on status and Discord 429s and 5xx on edits, posting once", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [1, 0], stepMs: 200, runMs: 300 } } });
    const { discord, fal } = h;
    fal.failNext({ method: "GET", target: /\/status/ }, { status: 500, body: { detail: "upstream hiccup" } }, 2);
    discord.failNext({ method: "PATCH", path: /messages/ }, { status: 429, body: { message: "You are being rate limited.", retry_after: 0.2, global: false } }, 1);
    discord.failNext({ method: "PATCH", path: /messages/ }, { status: 502, body: { code: 0, message: "Bad Gateway" } }, 2);
    await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await discord.waitFor(() => discord.messages().find((m) => m.text.includes("✅ Done")), 20_000);
    expect(videoPosts(h)).toHaveLength(1);
    expect(fal.submissions).toHaveLength(1);
    expect(fal.requests.filter((r) => r.target.includes("/status") && r.status === 500)).toHaveLength(2);
  });

  it("posts a link where the bot may no longer attach files (the permission went away while the job ran)", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [1, 0], stepMs: 300, runMs: 300 } } });
    await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.fal.waitFor(() => h.fal.submissions.length === 1, 10_000);
    h.discord.setBotPermissions(DEFAULT_BOT_PERMISSIONS & ~P.ATTACH_FILES);
    const post = await h.discord.waitFor(() => videoPosts(h)[0], 10_000);
    expect(post.files ?? []).toHaveLength(0);
    const job = [...h.fal.jobs.values()][0]!;
    expect(bodyText(post.json)).toContain(job.videoUrl);
    await h.discord.waitFor(() => h.discord.messages().find((m) => m.text.includes("✅ Done")), 5_000);
    expect(await budgetText(h)).toContain("Spent $1.53");
  });

  it("delivers through the interaction's own webhook where the bot may not post in the channel, when no job outlives it", async () => {
    // the longest a job may live (twice its deadline while rendering, then delivery's) is within the token's 14 minutes
    h = await startHarness({ env: { JOB_TIMEOUT_MINUTES: "5", DELIVERY_TIMEOUT_MINUTES: "3" }, discord: { botPermissions: (DEFAULT_BOT_PERMISSIONS & ~P.SEND_MESSAGES).toString() } });
    const { discord } = h;
    await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const followUp = await discord.waitFor(
      () => discord.requests.find((r) => r.method === "POST" && r.path.startsWith("/webhooks/") && r.status === 200 && (r.files?.length ?? 0) > 0),
      10_000,
    );
    expect(bodyText(followUp.json)).toContain("your video is ready");
    expect(followUp.files![0]!.bytes.equals([...h.fal.jobs.values()][0]!.video!)).toBe(true);
    await discord.waitFor(() => discord.messages().find((m) => m.text.includes("✅ Done")), 5_000);
    expect(await budgetText(h)).toContain("Spent $1.53");
  });

  it("in a thread: delivered there with the invite's Send Messages in Threads; refused, naming it, without it; refused in a locked thread", async () => {
    h = await startHarness();
    const { discord } = h;
    const thread = discord.addThread({ name: "forum post" });
    await new Promise((r) => setTimeout(r, 200)); // THREAD_CREATE reaches the bot
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9", channelId: thread });
    await discord.waitFor(() => discord.messages(thread).find((m) => m.interactionId === i.id && m.text.includes("✅ Done")), 15_000);
    expect(discord.messages(thread).filter((m) => m.attachments.some((a) => a.filename.endsWith(".mp4")))).toHaveLength(1);

    discord.setBotPermissions(DEFAULT_BOT_PERMISSIONS & ~P.SEND_MESSAGES_IN_THREADS); // invited with the older link
    const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9", channelId: thread });
    expect(await discord.waitFor(() => ephemeralText(h, refused))).toMatch(/missing these permissions here: Send Messages in Threads\..*Nothing was charged/);
    discord.setBotPermissions(DEFAULT_BOT_PERMISSIONS);

    const locked = discord.addThread({ locked: true });
    await new Promise((r) => setTimeout(r, 200));
    const closed = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9", channelId: locked });
    expect(await discord.waitFor(() => ephemeralText(h, closed))).toMatch(/This thread is archived or locked/);
    expect(h.fal.submissions).toHaveLength(1);
  });

  it("refuses, naming what is missing, where the bot could not deliver a job that may outlive its interaction", async () => {
    h = await startHarness({ discord: { botPermissions: (DEFAULT_BOT_PERMISSIONS & ~P.SEND_MESSAGES & ~P.ATTACH_FILES).toString() } });
    const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await h.discord.waitFor(() => ephemeralText(h, interaction))).toMatch(/missing these permissions here: Send Messages and Attach Files\..*Nothing was charged/);
    expect(h.fal.requests).toEqual([]);
    expect(h.discord.requests.filter((r) => /attachments\//.test(r.path))).toEqual([]);
  });

  it("ends a job whose progress message was deleted, with a refund and a log line", async () => {
    // the bot learns of the deletion at its next edit: the queue moves every second here
    h = await startHarness({ fal: { timeline: { queuePositions: [9, 8, 7, 6, 5, 4, 3, 2, 1], stepMs: 1_000 } } });
    const { discord } = h;
    const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const progress = await discord.waitFor(() => discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("Queued at fal")), 10_000);
    const res = await fetch(`${discord.apiUrl}/v10/channels/${discord.channelId}/messages/${progress.id}`, { method: "DELETE", headers: { Authorization: `Bot ${discord.token}` } });
    expect(res.status).toBe(204);
    await h.fal.waitFor(() => h.fal.cancels.length === 1, 15_000);
    await discord.waitFor(() => /job abandoned/.test(h.logs()), 5_000);
    expect(await budgetText(h)).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00/);
  });

  it("follows a job on fal's status stream, and polls when fal refuses the stream", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [2, 1, 0], stepMs: 150, runMs: 300 } } });
    const { fal, discord } = h;
    await runVideo(h, { duration: 5 });
    await discord.waitFor(() => videoPosts(h).length === 1, 10_000);
    const statusCalls = () => fal.requests.filter((r) => r.target.includes("/status"));
    expect(statusCalls().map((r) => r.path.split("/").pop())).toEqual(["stream"]);

    fal.failNext({ method: "GET", target: /\/status\/stream/ }, { status: 405, body: { detail: "Method Not Allowed" } }, 10);
    const before = statusCalls().length;
    await runVideo(h, { duration: 5 });
    await discord.waitFor(() => videoPosts(h).length === 2, 10_000);
    const later = statusCalls().slice(before);
    expect(later.filter((r) => r.target.includes("/status/stream"))).toHaveLength(1);
    expect(later.filter((r) => /\/status(\?|$)/.test(r.target)).length).toBeGreaterThan(1);
  });
});
