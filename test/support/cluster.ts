import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { startFakeDiscord, type FakeDiscord, type FakeUser } from "../fakes/discord/index.js";
import { startFakeFal, type FakeFal, type JobTimeline } from "../fakes/fal/index.js";
import { BotProcess, fakeEnv } from "./child.js";
import { FAL_KEY, PICTURE, PNG, type Harness } from "./harness.js";
import { freePort } from "./net.js";
import { REDIS_URL, redisAnswers } from "./redis.js";

/** One fake Discord with two shards (a guild each), one fake fal, one Redis, and bot processes. */
export interface Cluster {
  discord: FakeDiscord;
  fal: FakeFal;
  env: Record<string, string>;
  bots: BotProcess[];
}

export async function startCluster(timeline: Partial<JobTimeline>, env: Record<string, string> = {}, redisUrl = REDIS_URL): Promise<Cluster> {
  const discord = await startFakeDiscord({ shards: 2 });
  const fal = await startFakeFal({ key: FAL_KEY, timeline });
  return {
    discord,
    fal,
    bots: [],
    env: {
      ...fakeEnv(discord, fal, FAL_KEY),
      STORE_URL: `${redisUrl}?namespace=test-${randomUUID()}`,
      SHARD_COUNT: "2",
      FAL_POLL_INTERVAL_MS: "100",
      PROGRESS_EDIT_INTERVAL_MS: "150",
      JOB_LEASE_SECONDS: "3",
      ...env,
    },
  };
}

export async function closeCluster(c: Cluster | undefined): Promise<void> {
  for (const bot of c?.bots ?? []) await bot.kill("SIGKILL").catch(() => undefined);
  await c?.discord.close();
  await c?.fal.close();
}

/** A bot process running one shard of the cluster (its guild's interactions come to it). */
export async function bootShard(c: Cluster, shard: number, env: Record<string, string> = {}): Promise<BotProcess> {
  const bot = await BotProcess.start({ ...c.env, SHARD_IDS: String(shard), ...env });
  c.bots.push(bot);
  return bot;
}

/** Members of both guilds, so per-member limits do not get in the way. */
export const members = (discord: FakeDiscord, n: number): FakeUser[] =>
  Array.from({ length: n }, (_, i) => ({ ...discord.users.requester, id: (BigInt(discord.users.requester.id) + BigInt(i + 1) * 1000n).toString(), username: `member${i}` }));

/** A 5 s 720p 16:9 /video in guild `guild`. */
export function video(c: Cluster, guild: number, user: FakeUser, prompt = "the cat surfs") {
  const image = c.discord.addAttachment(PNG, "cat.png", "image/png", { ...PICTURE, guild });
  return c.discord.slashCommand({
    name: "video",
    guild,
    user,
    attachments: [image],
    options: [
      { name: "image", type: 11, value: image.id },
      { name: "prompt", type: 3, value: prompt },
      { name: "duration", type: 4, value: 5 },
      { name: "resolution", type: 3, value: "720p" },
      { name: "aspect_ratio", type: 3, value: "16:9" },
    ],
  });
}

export const videoPosts = (c: Pick<Cluster, "discord">) => c.discord.allMessages().filter((m) => m.attachments.some((a) => a.filename.endsWith(".mp4")));
export const asHarness = (c: Cluster) => c as unknown as Harness;

/** The most jobs fal had at once, from when each was submitted to when fal said it was done. */
export function mostAtFalAtOnce(fal: FakeFal): number {
  const edges = [...fal.jobs.values()].flatMap((j) => [
    [j.submittedAt, 1],
    [j.completedAt ?? Infinity, -1],
  ]) as Array<[number, number]>;
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

/** A Redis server of the test's own (so it can be stopped and started again), keeping its data in a folder. */
export interface OwnRedis {
  url: string;
  process: ChildProcess;
  /** Stops it (SIGTERM: it writes its append-only file) and starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
  stop(): void;
}

export async function ownRedis(...settings: string[]): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "seedance-redis-"));
  const url = `redis://127.0.0.1:${port}`;
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", ...settings];
  const start = async () => {
    const child = spawn("redis-server", args, { stdio: "ignore" });
    for (let i = 0; i < 100 && !(await redisAnswers(url)); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await redisAnswers(url), "redis-server must start (install Redis)").toBe(true);
    return child;
  };
  const own: OwnRedis = {
    url,
    process: await start(),
    async restart(downMs = 1_500) {
      const exited = new Promise((r) => own.process.once("exit", r));
      own.process.kill("SIGTERM");
      await exited;
      await new Promise((r) => setTimeout(r, downMs));
      own.process = await start();
    },
    stop() {
      own.process.kill("SIGKILL");
    },
  };
  return own;
}
