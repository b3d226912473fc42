import { afterEach, describe, expect, it } from "vitest";
import { startFakeDiscord, type FakeDiscord } from "./fakes/discord/index.js";
import { startFakeFal, type FakeFal, type JobTimeline } from "./fakes/fal/index.js";
import { BotProcess, fakeEnv } from "./support/child.js";
import { ephemeralText, FAL_KEY, runVideo, type Harness } from "./support/harness.js";

/** Fakes in this process, the bot in a child process it can kill. */
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
  world = {
    discord,
    fal,
    bots: [],
    env: {
      ...fakeEnv(discord, fal, FAL_KEY),
      FAL_POLL_INTERVAL_MS: "100",
      PROGRESS_EDIT_INTERVAL_MS: "150",
      ...env,
    },
  };
  return world;
}

async function boot(w: World): Promise<BotProcess> {
  const bot = await BotProcess.start(w.env);
  w.bots.push(bot);
  await w.discord.waitFor(() => w.discord.connectedSessions() > 0);
  return bot;
}

const asHarness = (w: World) => w as unknown as Harness;
const videoPosts = (w: World) => w.discord.allMessages().filter((m) => m.attachments.some((a) => a.filename.endsWith(".mp4")));

async function spentText(w: World): Promise<string> {
  const show = await w.discord.slashCommand({ name: "quota", user: w.discord.users.requester, options: [{ name: "show", type: 1, options: [] }] });
  return w.discord.waitFor(() => ephemeralText(asHarness(w), show), 10_000);
}

async function expectDeliveredOnce(w: World): Promise<void> {
  await w.discord.waitFor(() => videoPosts(w).length >= 1, 20_000);
  await w.discord.waitFor(() => w.discord.messages().find((m) => m.content.includes("✅ Done")), 10_000);
  expect(videoPosts(w)).toHaveLength(1);
  expect(w.fal.submissions).toHaveLength(1);
  expect(await spentText(w)).toMatch(/Spent \$1\.51 · held for running jobs \$0\.00/);
}

describe("jobs survive a killed bot", () => {
  it("killed while queued at fal: resumed by request id, never submitted twice", async () => {
    const w = await startWorld({ queuePositions: [2, 1, 0], stepMs: 1500, runMs: 300 });
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.discord.waitFor(() => w.discord.messages().find((m) => m.content.includes("Queued at fal")), 10_000);
    await bot.kill("SIGKILL");
    await boot(w);
    await expectDeliveredOnce(w);
  });

  it("killed while rendering: resumed and delivered once", async () => {
    const w = await startWorld({ queuePositions: [0], stepMs: 100, runMs: 2500, logs: ["Loading", "Generating"] });
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.discord.waitFor(() => w.discord.messages().find((m) => m.content.includes("Rendering since")), 10_000);
    await bot.kill("SIGKILL");
    await boot(w);
    await expectDeliveredOnce(w);
  });

  it("killed after Discord took the video but before the bot recorded it: the nonce keeps it to one message", async () => {
    const w = await startWorld({ queuePositions: [0], stepMs: 50, runMs: 100 });
    w.discord.holdNext({ method: "POST", path: /^\/channels\/\d+\/messages$/ }, 5_000);
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.discord.waitFor(() => videoPosts(w).length === 1, 10_000); // created, answer held back
    await bot.kill("SIGKILL");
    await boot(w);
    await w.discord.waitFor(
      () => w.discord.requests.filter((r) => r.method === "POST" && r.path.endsWith("/messages") && (r.files?.length ?? 0) > 0).length === 2,
      10_000,
    );
    const attempts = w.discord.requests.filter((r) => r.method === "POST" && (r.files?.length ?? 0) > 0);
    expect((attempts[0]!.json as any).nonce).toBe((attempts[1]!.json as any).nonce);
    expect((attempts[1]!.json as any).enforce_nonce).toBe(true);
    expect(attempts.every((r) => r.auth === `Bot ${w.discord.token}`)).toBe(true);
    await expectDeliveredOnce(w);
  });

  it("SIGTERM: exits cleanly within 10 s and the next start finishes the job", async () => {
    const w = await startWorld({ queuePositions: [1, 0], stepMs: 1500, runMs: 200 });
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.discord.waitFor(() => w.fal.submissions.length === 1, 10_000);
    const ended = await bot.kill("SIGTERM");
    expect(ended.code).toBe(0);
    expect(ended.ms).toBeLessThan(10_000);
    expect(bot.output()).toContain("bot stopped");
    await boot(w);
    await expectDeliveredOnce(w);
    for (const b of w.bots) {
      expect(b.output()).not.toContain(w.discord.token);
      expect(b.output()).not.toContain(FAL_KEY);
    }
  });
});
