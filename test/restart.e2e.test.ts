import { afterEach, describe, expect, it } from "vitest";
import { startFakeDiscord, type FakeDiscord } from "./fakes/discord/index.js";
import { startFakeFal, type FakeFal, type JobTimeline } from "./fakes/fal/index.js";
import { BotProcess, fakeEnv } from "./support/child.js";
import { ephemeralText, FAL_KEY, runVideo, type Harness } from "./support/harness.js";

/** Fakes in this process, the bot as `npm start` runs it, in a child process it can kill. */
interface World {
  discord: FakeDiscord;
  fal: FakeFal;
  env: Record<string, string>;
  bots: BotProcess[];
}

let world: World | undefined;
afterEach(async () => {
  for (const bot of world?.bots ?? []) await bot.kill("SIGKILL").catch(() => undefined);
  await world?.discord.close();
  await world?.fal.close();
  world = undefined;
});

async function startWorld(timeline: Partial<JobTimeline>, env: Record<string, string> = {}): Promise<World> {
  const discord = await startFakeDiscord();
  const fal = await startFakeFal({ key: FAL_KEY, timeline });
  world = { discord, fal, bots: [], env: { ...fakeEnv(discord, fal, FAL_KEY), FAL_POLL_INTERVAL_MS: "100", PROGRESS_EDIT_INTERVAL_MS: "150", ...env } };
  return world;
}

async function boot(w: World): Promise<BotProcess> {
  const bot = await BotProcess.start(w.env);
  w.bots.push(bot);
  await w.discord.waitFor(() => w.discord.connectedSessions() > 0, 10_000);
  return bot;
}

const asHarness = (w: World) => w as unknown as Harness;
const videoPosts = (w: World) => w.discord.allMessages().filter((m) => m.attachments.some((a) => a.filename.endsWith(".mp4")));
const downloads = (w: World) => w.discord.requests.filter((r) => r.method === "GET" && /^\/(ephemeral-)?attachments\//.test(r.path) && r.status === 200);
const SUBMIT = { method: "POST", target: /\/image-to-video$/ };

async function budgetText(w: World): Promise<string> {
  const show = await w.discord.slashCommand({ name: "quota", user: w.discord.users.requester, options: [{ name: "show", type: 1, options: [] }] });
  return w.discord.waitFor(() => ephemeralText(asHarness(w), show), 10_000);
}

describe("what a restart does, state by state (the README's table)", () => {
  it("submitting: cannot know whether fal got it, so refunds, says so and never sends it again", async () => {
    const w = await startWorld({ queuePositions: [0], stepMs: 50, runMs: 200 });
    w.fal.holdNext(SUBMIT, 1_500);
    const bot = await boot(w);
    const interaction = await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.fal.waitFor(() => w.fal.requests.some((r) => r.method === "POST" && /image-to-video$/.test(r.path)), 10_000);
    await bot.kill("SIGKILL"); // the submit is on its way; fal queues it after the bot died
    await w.fal.waitFor(() => w.fal.submissions.length === 1, 5_000);
    const next = await boot(w);
    const ended = await w.discord.waitFor(() => w.discord.messages().find((m) => m.interactionId === interaction.id && m.content.includes("was not sent again")), 15_000);
    expect(ended.content).toContain("Nothing was charged");
    await new Promise((r) => setTimeout(r, 1_000));
    expect(w.fal.submissions).toHaveLength(1);
    expect(videoPosts(w)).toHaveLength(0);
    expect(await budgetText(w)).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/);
    expect(next.output()).toMatch(/fal may have queued and billed it/);
  });

  it("accepted: fetches the picture again from Discord and goes on, delivered and charged once", async () => {
    const w = await startWorld({ queuePositions: [0], stepMs: 50, runMs: 200 });
    w.fal.holdNext({ method: "POST", target: /\/storage\/upload\/initiate/ }, 3_000);
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.fal.waitFor(() => w.fal.requests.some((r) => /\/storage\/upload\/initiate/.test(r.path)), 10_000);
    await bot.kill("SIGKILL");
    await boot(w);
    await w.discord.waitFor(() => videoPosts(w).length === 1, 20_000);
    await w.discord.waitFor(() => w.discord.messages().find((m) => m.content.includes("✅ Done")), 10_000);
    expect(downloads(w)).toHaveLength(2); // once by the first process, once after the restart
    expect(w.fal.submissions).toHaveLength(1);
    expect(w.fal.submissions[0]!.input.image_url).toBe(w.fal.uploads.at(-1)!.fileUrl);
    expect(await budgetText(w)).toMatch(/Spent \$1\.51 · held for running jobs \$0\.00/);
  });

  it("image_stored: submits the job to fal once, with the picture already in fal storage", async () => {
    const w = await startWorld({ queuePositions: [0], stepMs: 50, runMs: 6_000 }, { MAX_CONCURRENT_JOBS: "1" });
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9", prompt: "first" });
    await w.fal.waitFor(() => w.fal.submissions.length === 1, 10_000);
    const second = await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9", prompt: "second" });
    await w.discord.waitFor(() => w.discord.messages().find((m) => m.interactionId === second.id && m.content.includes("Waiting for a free slot")), 10_000);
    expect(w.fal.uploads).toHaveLength(2);
    await bot.kill("SIGKILL");
    await boot(w);
    await w.discord.waitFor(() => videoPosts(w).length === 2, 20_000);
    expect(w.fal.submissions.map((s) => s.input.prompt)).toEqual(["first", "second"]);
    expect(w.fal.uploads).toHaveLength(2); // nothing uploaded again
    expect(w.fal.submissions[1]!.input.image_url).toBe(w.fal.uploads[1]!.fileUrl);
    // the one fal slot was respected across the restart: the second went to fal after the first was done
    expect(w.fal.submissions[1]!.at).toBeGreaterThanOrEqual(w.fal.jobs.get(w.fal.submissions[0]!.requestId)!.completedAt!);
  });
});

describe("SIGTERM", () => {
  it("while commands arrive: each is answered 'restarting', nothing starts, and the process exits cleanly", async () => {
    const w = await startWorld({ queuePositions: [3, 2, 1, 0], stepMs: 2_000 });
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.fal.waitFor(() => w.fal.submissions.length === 1, 10_000);
    const exited = bot.kill("SIGTERM");
    await bot.waitForLog(/SIGTERM received/); // commands from here on reach a bot that is stopping
    const sent = [];
    // keep sending commands until the gateway closes under them
    for (let i = 0; i < 50 && w.discord.connectedSessions() > 0; i++) {
      try {
        sent.push(await runVideo(asHarness(w), { duration: 5, prompt: `late ${i}` }));
      } catch {
        break; // no session any more
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const ended = await exited;
    expect(ended.code).toBe(0);
    const answered = sent.map((i) => ephemeralText(asHarness(w), i)).filter((t): t is string => t !== undefined);
    expect(answered.length).toBeGreaterThan(0);
    for (const text of answered) expect(text).toMatch(/The bot is restarting/);
    expect(w.fal.submissions).toHaveLength(1);
    expect(w.fal.uploads).toHaveLength(1);
    expect(w.discord.messages().filter((m) => /late \d+/.test(m.content))).toEqual([]);
  });
});
