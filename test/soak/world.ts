import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeDiscord, type FakeDiscord } from "../fakes/discord/index.js";
import { startFakeFal, type FakeFal } from "../fakes/fal/index.js";
import { BotProcess, fakeEnv } from "../support/child.js";
import { ownRedis, type OwnRedis } from "../support/cluster.js";
import { FAL_KEY } from "../support/harness.js";
import { freePort } from "../support/net.js";
import type { FaultLog } from "./faults.js";
import type { GlobalEvent, Plan } from "./plan.js";
import { packsOf } from "./purchases.js";

/** The bot's settings in the simulation: short deadlines and leases, so every fault's path is reached in seconds. */
export interface SoakSettings {
  leaseSeconds: number;
  jobTimeoutMinutes: number;
  deliveryTimeoutMinutes: number;
  maxConcurrentJobs: number;
  spendCapUsd: number;
}

/** A bot process of the simulation: the shards it runs, its environment, and its output across restarts. */
export interface SoakProcess {
  index: number;
  env: Record<string, string>;
  bot: BotProcess | undefined;
  /** Killed and not started again yet: its guilds' members wait. */
  down: boolean;
  /** Stopped (SIGSTOP): its guilds' interactions go unanswered. */
  stalled: boolean;
  /** When it was killed or stopped (an order just before could not be answered). */
  disruptedAt: number[];
  /** Ended without being told to: nothing starts it again, and its members stop asking. */
  crashed?: boolean;
  output: string[];
}

export interface SoakWorld {
  plan: Plan;
  discord: FakeDiscord;
  fal: FakeFal;
  redis: OwnRedis | undefined;
  storeUrl: string;
  processes: SoakProcess[];
  /** Redis is being restarted right now. */
  redisDown: boolean;
  /** The run is over: processes end because they were told to. */
  stopping: boolean;
  /** Processes that ended without being told to, with their last lines. */
  crashes: string[];
}

export async function startSoakWorld(plan: Plan, s: SoakSettings): Promise<SoakWorld> {
  const discord = await startFakeDiscord({ shards: plan.guilds, rateLimit: false });
  const fal = await startFakeFal({ key: FAL_KEY, webhookRetryDelayMs: 250 });
  const redis = plan.mode === "redis" ? await ownRedis("--appendonly", "yes", "--appendfsync", "always") : undefined;
  const storeUrl = redis ? `${redis.url}?namespace=soak` : `sqlite://${join(mkdtempSync(join(tmpdir(), "seedance-soak-")), "bot.sqlite")}`;
  const ports = await Promise.all(Array.from({ length: plan.processes }, () => freePort()));
  const base: Record<string, string> = {
    ...fakeEnv(discord, fal, FAL_KEY),
    STORE_URL: storeUrl,
    SHARD_COUNT: String(plan.guilds),
    JOB_LEASE_SECONDS: String(s.leaseSeconds),
    JOB_TIMEOUT_MINUTES: String(s.jobTimeoutMinutes),
    DELIVERY_TIMEOUT_MINUTES: String(s.deliveryTimeoutMinutes),
    MAX_CONCURRENT_JOBS: String(s.maxConcurrentJobs),
    MAX_JOBS_PER_USER: "2",
    DEFAULT_QUOTA_USD: "10000",
    SPEND_CAP_USD: String(s.spendCapUsd),
    FAL_POLL_INTERVAL_MS: "100",
    PROGRESS_EDIT_INTERVAL_MS: "100",
    STATS_INTERVAL_MS: "0",
    LOG_LEVEL: "trace",
    // fal's webhook reaches the first process, whichever drives the job (handed over through the store)
    FAL_WEBHOOK_URL: `http://127.0.0.1:${ports[0]}/fal/webhook`,
    FAL_JWKS_URL: fal.jwksUrl,
    // credit packs: purchases reach shard 0's process (gateway), the first process (Discord's webhook events) and the listing
    CREDIT_PACKS: packsOf(discord).map((p) => `${p.skuId}:${p.micros / 1_000_000}`).join(","),
    DISCORD_PUBLIC_KEY: discord.publicKey,
    CREDIT_RECONCILE_SECONDS: "10",
  };
  discord.setEventWebhookUrl(`http://127.0.0.1:${ports[0]}/discord/events`);
  const perProcess = Math.ceil(plan.guilds / plan.processes);
  const processes: SoakProcess[] = ports.map((port, index) => ({
    index,
    env: {
      ...base,
      HTTP_PORT: String(port),
      ...(plan.processes > 1 ? { SHARD_IDS: Array.from({ length: perProcess }, (_, k) => index * perProcess + k).join(",") } : {}),
    },
    bot: undefined,
    down: true,
    stalled: false,
    disruptedAt: [],
    output: [],
  }));
  const world: SoakWorld = { plan, discord, fal, redis, storeUrl, processes, redisDown: false, stopping: false, crashes: [] };
  for (const p of processes) await boot(world, p);
  return world;
}

async function boot(w: SoakWorld, p: SoakProcess): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      p.bot = await BotProcess.start(p.env, { readyTimeoutMs: 30_000 });
      break;
    } catch (err) {
      // Redis may be restarting at this very moment: try again shortly
      console.error(`  process ${p.index} did not start (attempt ${attempt}): ${String(err).slice(0, 2000)}`);
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  p.down = false;
  const bot = p.bot;
  // a process that ends without being told to is a finding: say so with its last words
  void bot.ended.then(({ code, signal }) => {
    if (p.bot !== bot || p.down || w.stopping) return;
    p.down = true;
    p.crashed = true;
    const tail = bot.output().split("\n").slice(-60).join("\n");
    w.crashes.push(`process ${p.index} ended by itself (${signal ?? `code ${code}`}):\n${tail}`);
    console.error(`  process ${p.index} ended by itself (${signal ?? `code ${code}`}):\n${tail}`);
  });
  await w.discord.waitFor(() => w.discord.connectedSessions() >= w.processes.filter((q) => !q.down).length, 20_000).catch(() => undefined);
}

/** The process that serves a guild's interactions. */
export function processOf(w: SoakWorld, guild: number): SoakProcess {
  return w.processes[Math.floor(guild / Math.ceil(w.plan.guilds / w.plan.processes))]!;
}

/** Runs one of the plan's global events (a kill and restart, a stall past the lease, a Redis restart). */
export async function runEvent(w: SoakWorld, e: GlobalEvent, log: FaultLog): Promise<void> {
  await new Promise((r) => setTimeout(r, e.delayMs));
  const p = w.processes[e.process]!;
  if (e.kind === "kill" && p.bot && !p.down && !p.stalled) {
    log.add("process killed (SIGKILL)");
    p.down = true;
    p.disruptedAt.push(Date.now());
    await p.bot.kill("SIGKILL");
    p.output.push(p.bot.output());
    await new Promise((r) => setTimeout(r, e.ms));
    await boot(w, p);
  } else if (e.kind === "stall" && p.bot && !p.down && !p.stalled) {
    log.add("process stalled past its lease (SIGSTOP)");
    p.stalled = true;
    p.disruptedAt.push(Date.now());
    process.kill(p.bot.pid, "SIGSTOP");
    await new Promise((r) => setTimeout(r, e.ms));
    process.kill(p.bot.pid, "SIGCONT");
    p.stalled = false;
  } else if (e.kind === "redis-restart" && w.redis && !w.redisDown) {
    log.add("Redis restarted");
    w.redisDown = true;
    await w.redis.restart(e.ms);
    w.redisDown = false;
  }
}

/** Stops every bot (SIGTERM: their state written), then the fakes; returns the bots' output. */
export async function stopSoakWorld(w: SoakWorld, keepRedis = false): Promise<string[]> {
  w.stopping = true;
  for (const p of w.processes) {
    if (!p.bot) continue;
    if (p.stalled) process.kill(p.bot.pid, "SIGCONT");
    await p.bot.kill("SIGTERM");
    p.output.push(p.bot.output());
  }
  await w.discord.close();
  await w.fal.close();
  if (!keepRedis) w.redis?.stop();
  return w.processes.map((p) => p.output.join("\n"));
}

/** Writes the bots' output beside a failing run's report, for whoever investigates it. */
export function saveOutputs(dir: string, outputs: string[]): string[] {
  return outputs.map((text, i) => {
    const path = join(dir, `bot-${i}.log`);
    writeFileSync(path, text);
    return path;
  });
}
