import { writeJob } from "../test/support/records.js";
import { randomUUID } from "node:crypto";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Job } from "../src/jobs/job.js";
import { JobRepository } from "../src/jobs/repository.js";
import { sweepOldRecords } from "../src/jobs/retention.js";
import { EmbeddedLedger } from "../src/quota/embedded-ledger.js";
import type { Ledger } from "../src/quota/ledger.js";
import { RedisLedger } from "../src/quota/redis-ledger.js";
import { openStore, type Store } from "../src/store/index.js";

const DAY = 86_400_000;
const silent = { info: () => undefined, warn: () => undefined } as never;

/** A job record as the bot writes it for a delivered 5 s 720p video, with a prompt of typical length. */
function deliveredJob(userId: string, at: number): Job {
  const id = randomUUID();
  return {
    id, state: "delivered", createdAt: at, updatedAt: at, guildId: "849074773295239170", channelId: "849074777489543171", userId,
    progressMessageId: String(1576819201476268050n + BigInt(Math.floor(Math.random() * 1e9))), sourceUrls: null,
    params: {
      prompt: "the cat jumps onto the surfboard and rides the wave into the sunset, camera slowly pans left, warm light".repeat(2),
      imageUrl: `https://v3b.fal.media/files/b/${randomUUID()}/picture.png`, duration: "5", resolution: "720p", aspectRatio: "16:9", audio: true,
    },
    estimate: { micros: 1_512_000, upTo: false, seconds: 5, frame: { width: 1280, height: 720 } },
    reservation: { period: new Date(at).toISOString().slice(0, 10), micros: 1_512_000, status: "closed" }, chargeMicros: 1_512_000,
    uploadLimitBytes: 20 * 1024 * 1024, falRequestId: randomUUID(), queuePosition: null, runningSince: at, lastLog: "Encoding video",
    videoUrl: `https://v3b.fal.media/files/b/${randomUUID()}/output.mp4`, resultMessageId: String(1576819201476268050n + BigInt(Math.floor(Math.random() * 1e9))),
    resultSeed: 1234567, error: null, parentJobId: null,
  };
}

/** Writes `jobs` delivered jobs the way the bot does (records, links, ledger), `perDay` a day from `start`. */
async function writeJobs(store: Store, ledger: Ledger, jobs: number, perDay: number, start: number, members = 200): Promise<void> {
  const limits = { userMicros: 1e15, guildCapMicros: null, capMicros: null, maxInFlight: 1_000 };
  for (let i = 0; i < jobs; i++) {
    const at = start + Math.floor(i / perDay) * DAY + (i % perDay) * Math.floor(DAY / perDay);
    const job = deliveredJob(`member${i % members}`, at);
    const repo = new JobRepository(store, () => at);
    const r = { jobId: job.id, guildId: job.guildId!, userId: job.userId, period: job.reservation!.period, micros: job.reservation!.micros };
    await ledger.reserve(r, limits);
    await ledger.settle(r, job.chargeMicros!);
    await writeJob(store, repo, job);
    await repo.linkMessage(job.progressMessageId!, job.id);
    await repo.linkMessage(job.resultMessageId!, job.id);
  }
}

async function sqliteBytes(store: Store, path: string): Promise<number> {
  await store.sql!("PRAGMA wal_checkpoint(TRUNCATE)");
  return statSync(path).size;
}

export interface StorageFigures {
  /** Measured: bytes per delivered job (record, links, index, ledger rows). */
  sqliteBytesPerJob: number;
  redisBytesPerJob: number;
  /** 1,000 jobs a day, `retentionDays` kept: what the store holds at steady state (extrapolated from the measure). */
  yearSqliteMb: number;
  yearRedisMb: number;
  /** The same year without pruning. */
  yearSqliteUnprunedMb: number;
  /** Checked: a sweep after `retentionDays + 10` simulated days leaves only the retained jobs. */
  retainedAfterSweep: number;
  expectedRetained: number;
  retentionDays: number;
}

export async function benchStorage(jobs: number, redisUrl: string, retentionDays = 90): Promise<StorageFigures> {
  const path = join(mkdtempSync(join(tmpdir(), "bench-storage-")), "bot.sqlite");
  const sqlite = await openStore(`sqlite://${path}`);
  const sqliteLedger = new EmbeddedLedger(sqlite);
  const start = Date.UTC(2026, 0, 1);
  // settle the schema first, so the measure is of jobs only
  await writeJobs(sqlite, sqliteLedger, 1, 1, start);
  const before = await sqliteBytes(sqlite, path);
  await writeJobs(sqlite, sqliteLedger, jobs, 1_000, start);
  const sqliteBytesPerJob = ((await sqliteBytes(sqlite, path)) - before) / jobs;

  // retention over simulated days: `days` days of `perDay` jobs, then a sweep
  const days = retentionDays + 10;
  const perDay = Math.max(1, Math.floor(jobs / days));
  const later = start + 400 * DAY;
  await writeJobs(sqlite, sqliteLedger, perDay * days, perDay, later);
  const repo = new JobRepository(sqlite);
  await sweepOldRecords({ repo, ledger: sqliteLedger, log: silent, retentionDays, now: () => later + days * DAY });
  // every job older than the retention is gone, including the first batch
  let retainedAfterSweep = 0;
  for (const id of await sqlite.indexRange("jobs:done", Number.MAX_SAFE_INTEGER, 1_000_000)) if (await repo.get(id)) retainedAfterSweep++;
  await sqlite.close();

  const redis = await openStore(redisUrl, { namespace: `bench-storage-${randomUUID()}` });
  const client = redis.redis!;
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(String(await client.sendCommand(["INFO", "memory"])))![1]);
  const redisBefore = await usedMemory();
  await writeJobs(redis, new RedisLedger(redis.redis!, redis.prefix), jobs, 1_000, start);
  const redisBytesPerJob = Math.max(0, (await usedMemory()) - redisBefore) / jobs;
  await redis.close();

  const mb = (bytes: number) => bytes / 1024 / 1024;
  return {
    sqliteBytesPerJob,
    redisBytesPerJob,
    yearSqliteMb: mb(sqliteBytesPerJob * 1_000 * retentionDays),
    yearRedisMb: mb(redisBytesPerJob * 1_000 * retentionDays),
    yearSqliteUnprunedMb: mb(sqliteBytesPerJob * 1_000 * 365),
    retainedAfterSweep,
    expectedRetained: perDay * retentionDays,
    retentionDays,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchStorage(Number(process.argv[2] ?? 5_000), process.env.REDIS_URL ?? "redis://127.0.0.1:6379"));
}
