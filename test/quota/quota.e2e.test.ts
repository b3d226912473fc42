import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeUser } from "../fakes/discord/index.js";
import { ephemeralText, runVideo, startHarness, type Harness } from "../support/harness.js";
import { REDIS_URL, redisAnswers } from "../support/redis.js";

let h: Harness;
afterEach(async () => h?.close());

const quota = (h: Harness, user: FakeUser, sub: string, options: Array<{ name: string; type: number; value: unknown }> = []) =>
  h.discord.slashCommand({ name: "quota", user, options: [{ name: sub, type: 1, options }] });

const answer = async (h: Harness, pending: ReturnType<typeof quota>) => {
  const interaction = await pending;
  return h.discord.waitFor(() => ephemeralText(h, interaction));
};

const posted = (h: Harness) => h.discord.requests.filter((r) => r.method === "POST" && r.path === `/channels/${h.discord.channelId}/messages` && r.status === 200);

describe("refusals are not jobs", () => {
  it("an attempt the budget refuses leaves nothing in the store or the member's history, however often it is tried", async () => {
    h = await startHarness({ env: { DEFAULT_QUOTA_USD: "1" } });
    const { discord } = h;
    for (let n = 0; n < 3; n++) {
      const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
      expect(await discord.waitFor(() => ephemeralText(h, refused))).toMatch(/would cost \$1\.53, but you have \$1\.00 left/);
    }
    const { repo } = h.bot.services;
    // the member hears the refusal first; the attempt is forgotten right after
    for (const until = Date.now() + 5_000; (await repo.ofMember(discord.guildId, discord.users.requester.id, 0, 10)).total > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    expect(await repo.ofMember(discord.guildId, discord.users.requester.id, 0, 10)).toEqual({ jobs: [], total: 0 });
    expect(await repo.activeIds()).toEqual([]);
    const history = await discord.slashCommand({ name: "history", user: discord.users.requester, options: [] });
    expect(await discord.waitFor(() => ephemeralText(h, history))).toMatch(/has no videos yet/);
    const rows = await h.bot.services.store.sql!(`SELECT COUNT(*) AS n FROM keyv WHERE key LIKE 'seedance:job:%'`);
    expect(Number(rows[0]!.n)).toBe(0);
  });
});

describe("a refusal after the public 'thinking…'", () => {
  it("when Discord refuses the private answer, the 'thinking…' message says it instead of vanishing", async () => {
    h = await startHarness({ env: { DEFAULT_QUOTA_USD: "1" } });
    const { discord } = h;
    // every try of the ephemeral follow-up fails (discord.js retries a 5xx by itself)
    discord.setPolicy((req) => (req.route === "webhook.create" ? { fail: { status: 500, body: { message: "500: Internal Server Error", code: 0 } } } : undefined));
    const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const shown = await discord.waitFor(() => discord.messages().find((m) => m.interactionId === refused.id && !m.deleted && !(m.flags & 64) && /would cost \$1\.53/.test(m.text)), 15_000);
    expect(shown.text).toMatch(/but you have \$1\.00 left/);
  });
});

describe("budgets end to end", () => {
  it("runs, settles and refuses by the admin's limits, and tells a member what is left", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { admin, requester, stranger } = discord.users;

    expect(await answer(h, quota(h, admin, "default", [{ name: "usd", type: 10, value: 2 }]))).toContain("$2.00");

    const first = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId === first.id && m.text.includes("✅ Done")), 10_000);
    const afterFirst = await answer(h, quota(h, requester, "show"));
    expect(afterFirst).toContain("Spent $1.53");
    expect(afterFirst).toContain("$0.47 left");

    const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const refusal = await discord.waitFor(() => ephemeralText(h, refused));
    expect(refusal).toMatch(/would cost \$1\.53, but you have \$0\.47 left of your \$2\.00 budget\. It resets <t:\d+:R>/);
    expect(fal.submissions).toHaveLength(1);
    expect(fal.uploads).toHaveLength(1);

    expect(await answer(h, quota(h, stranger, "set", [{ name: "user", type: 6, value: stranger.id }, { name: "usd", type: 10, value: 1000 }]))).toMatch(
      /Only members with the Manage Server permission/,
    );
    expect(await answer(h, quota(h, stranger, "show", [{ name: "user", type: 6, value: requester.id }]))).toMatch(/only admins/);
    expect(await answer(h, quota(h, admin, "set", [{ name: "user", type: 6, value: requester.id }, { name: "usd", type: 10, value: 10 }]))).toContain("$10.00");

    const third = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId === third.id && m.text.includes("✅ Done")), 10_000);
    expect(posted(h)).toHaveLength(2);
    expect(fal.submissions).toHaveLength(2);
    expect(h.logs()).toMatch(/"admin":"\d+".*"member budget set"/);

    expect(await answer(h, quota(h, admin, "reset", [{ name: "user", type: 6, value: requester.id }]))).toContain("Cleared");
    expect(await answer(h, quota(h, requester, "show"))).toContain("$10.00 left");
    expect(discord.rejections).toEqual([]);
  });

  it("refunds a content-policy rejection so the budget covers the next job at once", async () => {
    h = await startHarness({ env: { DEFAULT_QUOTA_USD: "1.60" } });
    const { discord, fal } = h;
    fal.nextTimeline({ outcome: { kind: "error", status: 422, detail: [{ loc: ["body", "prompt"], msg: "flagged", type: "content_policy_violation" }] } });
    const first = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId === first.id && m.text.includes("safety filter")), 10_000);

    await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await discord.waitFor(() => posted(h).length === 1, 10_000);
    expect(fal.submissions).toHaveLength(2);
  });

  it("keeps a member to MAX_JOBS_PER_USER jobs in progress and registers sane amount bounds", async () => {
    h = await startHarness({ env: { MAX_JOBS_PER_USER: "1" }, fal: { timeline: { outcome: { kind: "never" } } } });
    const { discord, fal } = h;
    await runVideo(h, { duration: 4, resolution: "480p" });
    await fal.waitFor(() => fal.submissions.length === 1);
    const second = await runVideo(h, { duration: 4, resolution: "480p" });
    expect(await discord.waitFor(() => ephemeralText(h, second))).toMatch(/Videos you already have in progress: 1/);
    expect(fal.submissions).toHaveLength(1);
    // Discord's client enforces these bounds; the handler checks them again
    const registered = discord.commands().find((c: any) => c.name === "quota") as any;
    const set = registered.options.find((o: any) => o.name === "set");
    expect(set.options.find((o: any) => o.name === "usd")).toMatchObject({ type: 10, min_value: 0, max_value: 10_000, required: true });
  });

  it("refuses everyone once the deployment's spend cap is reached", async () => {
    h = await startHarness({ env: { SPEND_CAP_USD: "1" } });
    const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await h.discord.waitFor(() => ephemeralText(h, refused))).toMatch(/bot's overall budget for this period is used up \(\$1\.00 left, this video needs \$1\.53\)\. It resets <t:\d+:R>/);
    expect(h.fal.requests).toEqual([]);
  });

  it("works the same on a Redis store (several bot processes share it)", async () => {
    expect(await redisAnswers(), `Redis must answer at ${REDIS_URL}`).toBe(true);
    h = await startHarness({ storeUrl: `${REDIS_URL}?namespace=test-${randomUUID()}`, env: { DEFAULT_QUOTA_USD: "2" } });
    const first = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === first.id && m.text.includes("✅ Done")), 10_000);
    const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await h.discord.waitFor(() => ephemeralText(h, refused))).toMatch(/would cost \$1\.53, but you have \$0\.47 left/);
    expect(h.fal.submissions).toHaveLength(1);
  });
});
