import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_BOT_PERMISSIONS, P, type FakeUser } from "../fakes/discord/index.js";
import { buttonOf, deliveredVideo, doneMessage, ephemeralText, quotaText, runVideo, startHarness, videoMessages, type Harness } from "../support/harness.js";
import { REDIS_URL } from "../support/redis.js";

let h: Harness;
afterEach(async () => h?.close());

const downloads = (h: Harness) => h.discord.requests.filter((r) => r.method === "GET" && /^\/(ephemeral-)?attachments\//.test(r.path));

async function operator(h: Harness, user: FakeUser, sub: string, options: Array<{ name: string; type: number; value: unknown }> = []): Promise<string> {
  const i = await h.discord.slashCommand({ name: "operator", user, options: [{ name: sub, type: 1, options }] });
  return h.discord.waitFor(() => ephemeralText(h, i), 10_000);
}

async function quota(h: Harness, user: FakeUser, sub: string, options: Array<{ name: string; type: number; value: unknown }> = []): Promise<string> {
  const i = await h.discord.slashCommand({ name: "quota", user, options: [{ name: sub, type: 1, options }] });
  return h.discord.waitFor(() => ephemeralText(h, i), 10_000);
}


describe("who may spend", () => {
  it("a server not on ALLOWED_GUILD_IDS gets 'not enabled' for everything, and nothing is downloaded or sent; the owner's /operator still works there", async () => {
    h = await startHarness({ env: { ALLOWED_GUILD_IDS: "123456789012345678" } });
    const { discord, fal } = h;
    const video = await runVideo(h);
    expect(await discord.waitFor(() => ephemeralText(h, video))).toMatch(/not enabled in this server/);
    expect(await quota(h, discord.users.admin, "set", [{ name: "user", type: 6, value: discord.users.requester.id }, { name: "usd", type: 10, value: 500 }])).toMatch(/not enabled in this server/);
    expect(await quota(h, discord.users.admin, "default", [{ name: "usd", type: 10, value: 500 }])).toMatch(/not enabled in this server/);
    expect(await operator(h, discord.owner, "status")).toMatch(/Operator status/);
    expect(downloads(h)).toEqual([]);
    expect(fal.requests).toEqual([]);
    expect(h.logs()).toMatch(/"servers":\["123456789012345678"\].*"msg":"operator controls"/);
    expect(discord.rejections).toEqual([]);
  });

  it("a server taken off ALLOWED_GUILD_IDS: its members' 🔁, ❌ and buttons on results made before do nothing (a button says why)", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result } = await deliveredVideo(h);
    h.env.ALLOWED_GUILD_IDS = "123456789012345678"; // the operator's list changes: this server is no longer served
    await h.restart();
    await discord.react({ messageId: result.id, emoji: "🔁", user: discord.users.requester });
    await discord.react({ messageId: result.id, emoji: "❌", user: discord.users.requester });
    for (const action of ["regen", "loop", "remix"]) {
      const press = await discord.clickButton({ messageId: result.id, customId: buttonOf(result, action).custom_id, user: discord.users.requester });
      expect(await discord.waitFor(() => ephemeralText(h, press))).toMatch(/not enabled in this server/);
    }
    await new Promise((r) => setTimeout(r, 800));
    expect(fal.submissions).toHaveLength(1);
    expect(discord.message(result.id)?.deleted).toBeFalsy();
    expect(discord.modalOf(result.id)).toBeUndefined();
  });

  it("an open server list is said at start-up, with the caps in force", async () => {
    h = await startHarness({ env: { GUILD_SPEND_CAP_USD: "7" } });
    expect(h.logs()).toMatch(/"spendCap":"\$20\.00","guildSpendCap":"\$7\.00".*"servers":"every server".*"msg":"operator controls"/);
    expect(h.logs()).toMatch(/ALLOWED_GUILD_IDS is not set/);
  });
});

describe("caps above the admins' budgets", () => {
  for (const store of ["SQLite", "Redis"] as const) {
    it(`GUILD_SPEND_CAP_USD holds a server whose admin raised every member's budget (${store}); /quota show names the cap`, async () => {
      h = await startHarness({
        env: { GUILD_SPEND_CAP_USD: "2" },
        ...(store === "Redis" ? { storeUrl: `${REDIS_URL}?namespace=test-${randomUUID()}` } : {}),
      });
      const { discord, fal } = h;
      expect(await quota(h, discord.users.admin, "default", [{ name: "usd", type: 10, value: 1_000 }])).toContain("$1,000.00");
      const first = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
      await doneMessage(h, first.id);
      const second = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9", user: discord.users.stranger });
      expect(await discord.waitFor(() => ephemeralText(h, second))).toMatch(/This server's budget for this period, set by the bot's operator, is used up \(\$0\.47 left/);
      expect(fal.submissions).toHaveLength(1);
      const shown = await quotaText(h, discord.users.stranger);
      expect(shown).toMatch(/This server's cap, set by the bot's operator, leaves less than your budget: \$0\.47 left/);
    });
  }

  it("with no SPEND_CAP_USD set, the default cap ($20 a period) holds", async () => {
    h = await startHarness({ env: { DEFAULT_QUOTA_USD: "100" }, fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 3_000 } } });
    const first = await runVideo(h, { duration: 15, resolution: "1080p", aspect_ratio: "16:9" }); // $10.24 (15 s at 1080p: 361 frames)
    // the first is at fal (its hold on the books) before the second asks
    await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === first.id && /Rendering since|Queued at fal/.test(m.text)), 10_000);
    const second = await runVideo(h, { duration: 15, resolution: "1080p", aspect_ratio: "16:9", user: h.discord.users.stranger });
    expect(await h.discord.waitFor(() => ephemeralText(h, second))).toMatch(/The bot's overall budget for this period is used up \(\$9\.76 left, this video needs \$10\.24\)/);
    expect(h.fal.submissions).toHaveLength(1);
  });
});

describe("/operator", () => {
  it("pause stops the bot's own queue too: waiting jobs end refunded and told, nothing more reaches fal, jobs at fal finish", async () => {
    h = await startHarness({ env: { MAX_CONCURRENT_JOBS: "1" }, fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 2_000 } } });
    const { discord, fal } = h;
    const atFal = await runVideo(h, { duration: 5, prompt: "at fal", user: discord.users.requester });
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId === atFal.id && m.text.includes("Rendering since")), 10_000);
    const waiting = await runVideo(h, { duration: 5, prompt: "waiting", user: discord.users.stranger });
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId === waiting.id && m.text.includes("Waiting for a free slot")), 10_000);
    expect(await operator(h, discord.owner, "pause")).toMatch(/paused everywhere/);
    const ended = await discord.waitFor(() => discord.messages().find((m) => m.interactionId === waiting.id && m.text.includes("❌")), 10_000);
    expect(ended.text).toMatch(/operator paused new videos before this one reached the model\. Nothing was charged/);
    await doneMessage(h, atFal.id);
    await new Promise((r) => setTimeout(r, 800));
    expect(fal.submissions.map((x) => x.input.prompt)).toEqual(["at fal"]);
    expect(await quotaText(h, discord.users.stranger)).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/);
    expect(videoMessages(h)).toHaveLength(1);
  });

  it("pause, resume, status and cap work for the owner and survive a restart; a server admin who is not the owner is refused each", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { admin } = discord.users;
    for (const [sub, options] of [["status", []], ["pause", []], ["resume", []], ["cap", [{ name: "guild_id", type: 3, value: discord.guildId }, { name: "usd", type: 3, value: "1" }]]] as const) {
      expect(await operator(h, admin, sub, [...options])).toMatch(/Only the bot's operator can use this command/);
    }
    const registered = discord.commands().find((c: any) => c.name === "operator") as any;
    expect(registered.default_member_permissions).toBe("0");

    expect(await operator(h, discord.owner, "pause")).toMatch(/paused everywhere/);
    await h.restart();
    const paused = await runVideo(h);
    expect(await discord.waitFor(() => ephemeralText(h, paused))).toMatch(/New videos are paused by the bot's operator/);
    expect(await operator(h, discord.owner, "status")).toMatch(/New videos are \*\*paused\*\*/);
    expect(downloads(h)).toEqual([]);
    expect(await operator(h, discord.owner, "resume")).toMatch(/accepted again/);

    expect(await operator(h, discord.owner, "cap", [{ name: "guild_id", type: 3, value: discord.guildId }, { name: "usd", type: 3, value: "1" }])).toMatch(/capped at \$1\.00 per day/);
    await h.restart();
    const capped = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await discord.waitFor(() => ephemeralText(h, capped))).toMatch(/This server's budget for this period, set by the bot's operator, is used up \(\$1\.00 left/);
    expect(await operator(h, discord.owner, "cap", [{ name: "guild_id", type: 3, value: discord.guildId }, { name: "usd", type: 3, value: "default" }])).toMatch(/follows GUILD_SPEND_CAP_USD/);
    const ok = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await doneMessage(h, ok.id);
    const status = await operator(h, discord.owner, "status");
    expect(status).toMatch(/All servers: fal billed \$1\.53 · held \$0\.00 · charged \$1\.53 · refunded \$0\.00 · cap \$20\.00 \(\$18\.47 left\)/);
    expect(status).toContain(`Fake Guild (${discord.guildId}): fal billed $1.53`);
    expect(fal.submissions).toHaveLength(1);
    expect(discord.rejections).toEqual([]);
  });

  it("takes OWNER_IDS over the application's owner", async () => {
    h = await startHarness({ env: { OWNER_IDS: "" } });
    h.env.OWNER_IDS = h.discord.users.admin.id;
    await h.restart();
    expect(await operator(h, h.discord.users.admin, "status")).toMatch(/Operator status/);
    expect(await operator(h, h.discord.owner, "status")).toMatch(/Only the bot's operator/);
  });
});

describe("what fal billed", () => {
  it("a job whose delivery fails after fal rendered it: the member is refunded, and the operator's books and the caps count fal's bill", async () => {
    h = await startHarness({ env: { SPEND_CAP_USD: "3" }, fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 300 } } });
    const { discord, fal } = h;
    fal.failNext({ method: "GET", target: /\/files\// }, { status: 404, body: { detail: "Not Found" } }, 5); // the video is gone from fal's storage
    const first = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const failed = await discord.waitFor(() => discord.messages().find((m) => m.interactionId === first.id && m.text.includes("❌")), 15_000);
    expect(failed.text).toContain("no longer at fal");
    expect(videoMessages(h)).toEqual([]);
    expect(await quotaText(h)).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/);
    const status = await operator(h, discord.owner, "status");
    expect(status).toMatch(/All servers: fal billed \$1\.53 · held \$0\.00 · charged \$0\.00 · refunded \$1\.53/);
    // the cap counts it: $1.5246 billed + $1.5246 for the next would pass $3
    const next = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await discord.waitFor(() => ephemeralText(h, next))).toMatch(/overall budget for this period is used up \(\$1\.47 left/);
  });

  it("without billed units from fal, the delivered video's own frame and length are the bill", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 100, billableUnits: null, outcome: { kind: "video", durationSec: 6 } } } });
    const i = await runVideo(h, { resolution: "720p", aspect_ratio: "16:9" });
    await doneMessage(h, i.id);
    expect(h.logs()).toMatch(/"billed":1827000.*"msg":"budget settled"/);
    expect(await operator(h, h.discord.owner, "status")).toMatch(/fal billed \$1\.83 · held \$0\.00 · charged \$1\.83/);
  });

  it("fal's billed units set the bill, and the member pays the same, never more than the hold", async () => {
    // fal reports more than the estimate (1.2 × a 5 s 720p video): the operator's books say so; the member pays the hold
    h = await startHarness({ fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 100, billableUnits: 129.6 } } });
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await doneMessage(h, i.id);
    expect(await quotaText(h)).toMatch(/Spent \$1\.53/);
    expect(await operator(h, h.discord.owner, "status")).toMatch(/fal billed \$1\.82 · held \$0\.00 · charged \$1\.53/);
  });
});

describe("never render what cannot be delivered", () => {
  it("a 🔁 or Regenerate in a channel where the bot can no longer post is refused before any reservation", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result, regenerate } = await deliveredVideo(h);
    discord.setBotPermissions(DEFAULT_BOT_PERMISSIONS & ~P.ATTACH_FILES);
    await new Promise((r) => setTimeout(r, 200)); // the gateway's update reaches the bot
    const click = await discord.clickButton({ messageId: result.id, customId: regenerate.custom_id, user: discord.users.requester });
    expect(await discord.waitFor(() => ephemeralText(h, click))).toMatch(/missing these permissions here: Attach Files\. Nothing was charged/);
    discord.setBotPermissions(DEFAULT_BOT_PERMISSIONS & ~P.SEND_MESSAGES);
    await new Promise((r) => setTimeout(r, 200));
    await discord.react({ messageId: result.id, emoji: "🔁", user: discord.users.requester });
    await discord.waitFor(() => (h.logs().match(/regeneration refused: the bot can no longer post there/g) ?? []).length === 2, 5_000);
    expect(fal.submissions).toHaveLength(1);
    expect(await quotaText(h)).toMatch(/Spent \$1\.53 · held for running jobs \$0\.00 · jobs in progress 0/);
    expect(await operator(h, discord.owner, "status")).toMatch(/All servers: fal billed \$1\.53 · held \$0\.00 · charged \$1\.53 · refunded \$0\.00/);
  });
});
