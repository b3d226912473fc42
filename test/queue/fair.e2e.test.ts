import { afterEach, describe, expect, it } from "vitest";
import { ephemeralText, quotaText, runVideo, startHarness, type Harness } from "../support/harness.js";
import { members, video } from "../support/cluster.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The card of a /video (its progress message), once it shows `text`. */
const cardShowing = (h: Harness, interactionId: string, text: string | RegExp) =>
  h.discord.waitFor(() => h.discord.allMessages().find((m) => m.interactionId === interactionId && (typeof text === "string" ? m.text.includes(text) : text.test(m.text))), 15_000);

/** One fal slot; the job whose prompt says "first" renders for a while, the others at once. */
async function oneSlot(env: Record<string, string> = {}, shards = 1): Promise<Harness> {
  const started = await startHarness({ env: { MAX_CONCURRENT_JOBS: "1", MAX_JOBS_PER_USER: "10", DEFAULT_QUOTA_USD: "1000", ...(shards > 1 ? { SHARD_COUNT: String(shards) } : {}), ...env }, discord: { shards }, fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 300 } } });
  started.fal.setTimelines((input) => (String((input as { prompt?: string }).prompt).includes("first") ? { runMs: 4_000 } : undefined));
  return started;
}

describe("the bot's queue is fair: round-robin by server, then by member", () => {
  it("with one slot, A1 A2 A3 by one member then B1 by another reach fal as A1 B1 A2 A3, and the waiting cards show that order", async () => {
    h = await oneSlot();
    const { discord, fal } = h;
    await runVideo(h, { prompt: "A1 first", duration: 4, resolution: "480p" });
    await fal.waitFor(() => fal.submissions.length === 1);
    const queued: Record<string, string> = {};
    for (const [prompt, user] of [["A2", discord.users.requester], ["A3", discord.users.requester], ["B1", discord.users.stranger]] as const) {
      const i = await runVideo(h, { prompt, user, duration: 4, resolution: "480p" });
      queued[prompt] = i.id;
      await cardShowing(h, i.id, "Waiting for a free slot");
    }
    // each card moves to its place in the fair order (edits coalesced)
    await cardShowing(h, queued.B1!, "number 1 in the bot's queue");
    await cardShowing(h, queued.A2!, "number 2 in the bot's queue");
    await cardShowing(h, queued.A3!, "number 3 in the bot's queue");
    await fal.waitFor(() => fal.submissions.length === 4, 20_000);
    expect(fal.submissions.map((s) => (s.input as { prompt: string }).prompt)).toEqual(["A1 first", "B1", "A2", "A3"]);
  });

  it("a card near the head shows its new place at the quick edit pace, not the slow one kept for far places", async () => {
    // edits every 0.5 s for changes that matter, every 5 s for minor ones
    h = await oneSlot({ PROGRESS_EDIT_INTERVAL_MS: "500" });
    const { discord, fal } = h;
    fal.setTimelines((input) => (String((input as { prompt?: string }).prompt).includes("first") ? { runMs: 20_000 } : undefined));
    await runVideo(h, { prompt: "A1 first", duration: 4, resolution: "480p" });
    await fal.waitFor(() => fal.submissions.length === 1);
    const a2 = await runVideo(h, { prompt: "A2", duration: 4, resolution: "480p" });
    await cardShowing(h, a2.id, "number 1 in the bot's queue");
    const b1 = await runVideo(h, { prompt: "B1", user: discord.users.stranger, duration: 4, resolution: "480p" });
    await cardShowing(h, b1.id, "number 1 in the bot's queue");
    const movedBy = Date.now() + 2_000;
    await cardShowing(h, a2.id, "number 2 in the bot's queue");
    expect(Date.now()).toBeLessThan(movedBy);
  });

  it("six jobs of one server, then one of another: the other server's job goes second", async () => {
    h = await oneSlot({}, 2);
    const { discord, fal } = h;
    const people = members(discord, 3);
    await video(h as never, 0, people[0]!, "busy 1 first");
    await fal.waitFor(() => fal.submissions.length === 1);
    for (let n = 2; n <= 6; n++) {
      const i = await video(h as never, 0, people[n % 3]!, `busy ${n}`);
      await cardShowing(h, i.id, "Waiting for a free slot");
    }
    const other = await video(h as never, 1, people[0]!, "other 1");
    await cardShowing(h, other.id, "number 1 in the bot's queue");
    await fal.waitFor(() => fal.submissions.length === 7, 30_000);
    const prompts = fal.submissions.map((s) => (s.input as { prompt: string }).prompt);
    expect(prompts[1]).toBe("other 1");
    expect(prompts.slice(2).sort()).toEqual(["busy 2", "busy 3", "busy 4", "busy 5", "busy 6"]);
  });

  it("counts only the jobs that will wait: a burst of six with three free slots and a cap of two admits five", async () => {
    h = await startHarness({ env: { MAX_CONCURRENT_JOBS: "3", MAX_QUEUED_PER_GUILD: "2", MAX_JOBS_PER_USER: "10", DEFAULT_QUOTA_USD: "1000" }, fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 10_000 } } });
    const { discord, fal } = h;
    const burst = await Promise.all(Array.from({ length: 6 }, (_, n) => runVideo(h!, { prompt: `burst ${n + 1}`, duration: 4, resolution: "480p" })));
    await fal.waitFor(() => fal.submissions.length === 3, 15_000);
    const refused = await discord.waitFor(() => {
      const texts = burst.map((i) => ephemeralText(h!, i)).filter((t) => t !== undefined);
      return texts.length === 1 && texts;
    }, 15_000);
    expect(refused[0]).toMatch(/already has 2 videos waiting/);
    await discord.waitFor(() => burst.filter((i) => discord.allMessages().some((m) => m.interactionId === i.id && m.text.includes("Waiting for a free slot"))).length === 2, 15_000);
  });

  it("/operator status and /metrics show the waiting jobs by server", async () => {
    h = await oneSlot({ HTTP_PORT: "0" }, 2);
    const { discord, fal } = h;
    const people = members(discord, 3);
    await video(h as never, 0, people[0]!, "busy 1 first");
    await fal.waitFor(() => fal.submissions.length === 1);
    for (const [guild, n] of [[0, 1], [0, 2], [1, 0]] as const) {
      const i = await video(h as never, guild, people[n]!, `waiting ${guild} ${n}`);
      await cardShowing(h, i.id, "Waiting for a free slot");
    }
    const [first, second] = discord.guilds;
    const ask = await discord.slashCommand({ name: "operator", user: discord.owner, options: [{ name: "status", type: 1, options: [] }] });
    const status = await discord.waitFor(() => ephemeralText(h!, ask), 10_000);
    expect(status).toContain("**Waiting for a fal slot:** 3");
    expect(status).toMatch(new RegExp(`\\(${first!.guildId}\\): 2 waiting`));
    expect(status).toMatch(new RegExp(`\\(${second!.guildId}\\): 1 waiting`));
    const metrics = await (await fetch(`http://127.0.0.1:${h.bot.httpPort}/metrics`)).text();
    expect(metrics).toContain(`seedance_bot_queue_length{guild="${first!.guildId}"} 2`);
    expect(metrics).toContain(`seedance_bot_queue_length{guild="${second!.guildId}"} 1`);
    expect(metrics).toContain(`seedance_bot_queue_length{guild="other"} 0`);
  });

  it("refuses a server's 51st waiting job privately, naming the limit, before anything is downloaded or held", async () => {
    h = await oneSlot({ MAX_JOBS_PER_USER: "60", SPEND_CAP_USD: "none" });
    const { discord, fal } = h;
    await runVideo(h, { prompt: "at fal first", duration: 4, resolution: "480p" });
    await fal.waitFor(() => fal.submissions.length === 1);
    const waiting = await Promise.all(Array.from({ length: 50 }, (_, n) => runVideo(h!, { prompt: `waiting ${n + 1}`, duration: 4, resolution: "480p" })));
    await discord.waitFor(() => waiting.every((i) => discord.allMessages().some((m) => m.interactionId === i.id && m.text.includes("Waiting for a free slot"))), 40_000);
    const heldBefore = await quotaText(h);
    const cdnBefore = discord.requests.filter((r) => r.path.startsWith("/attachments/")).length;
    const uploadsBefore = fal.uploads.length;

    const refused = await runVideo(h, { prompt: "one too many", duration: 4, resolution: "480p" });
    const text = await discord.waitFor(() => ephemeralText(h!, refused), 10_000);
    expect(text).toMatch(/already has 50 videos waiting/);
    expect(await quotaText(h)).toBe(heldBefore);
    expect(discord.requests.filter((r) => r.path.startsWith("/attachments/")).length).toBe(cdnBefore);
    expect(fal.uploads.length).toBe(uploadsBefore);
    expect(discord.allMessages().some((m) => m.interactionId === refused.id && !m.flags)).toBe(false);
  }, 60_000);
});
