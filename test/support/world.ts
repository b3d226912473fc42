import { startFakeDiscord, type FakeDiscord, type FakeMessage } from "../fakes/discord/index.js";
import { startFakeFal, type FakeFal, type JobTimeline } from "../fakes/fal/index.js";
import { BotProcess, fakeEnv } from "./child.js";
import { FAL_KEY, quotaText, type Harness } from "./harness.js";

/** Fakes in this process, the bot as `npm start` runs it, in a child process a test can kill. */
export interface World {
  discord: FakeDiscord;
  fal: FakeFal;
  env: Record<string, string>;
  bots: BotProcess[];
}

export async function startWorld(timeline: Partial<JobTimeline>, env: Record<string, string> = {}): Promise<World> {
  const discord = await startFakeDiscord();
  const fal = await startFakeFal({ key: FAL_KEY, timeline });
  return { discord, fal, bots: [], env: { ...fakeEnv(discord, fal, FAL_KEY), FAL_POLL_INTERVAL_MS: "100", PROGRESS_EDIT_INTERVAL_MS: "150", ...env } };
}

/** Starts a(nother) bot process on the world's fakes and store, and waits until it is connected. */
export async function boot(w: World): Promise<BotProcess> {
  const bot = await BotProcess.start(w.env);
  w.bots.push(bot);
  await w.discord.waitFor(() => w.discord.connectedSessions() > 0, 10_000);
  return bot;
}

export async function closeWorld(w: World | undefined): Promise<void> {
  for (const bot of w?.bots ?? []) await bot.kill("SIGKILL").catch(() => undefined);
  await w?.discord.close();
  await w?.fal.close();
}

/** The harness helpers (runVideo, ephemeralText, …) need only the fakes. */
export const asHarness = (w: World) => w as unknown as Harness;

/** Every message that carries an MP4, deleted ones included. */
export const videoPosts = (w: Pick<World, "discord">): FakeMessage[] => w.discord.allMessages().filter((m) => m.attachments.some((a) => a.filename.endsWith(".mp4")));

export const budgetOf = (w: World) => quotaText(asHarness(w));
