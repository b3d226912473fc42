import { writeJob } from "../support/records.js";
import { randomUUID } from "node:crypto";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Job } from "../../src/jobs/job.js";
import { JobRepository } from "../../src/jobs/repository.js";
import { sweepOldRecords } from "../../src/jobs/retention.js";
import { EmbeddedLedger } from "../../src/quota/embedded-ledger.js";
import type { Ledger } from "../../src/quota/ledger.js";
import { RedisLedger } from "../../src/quota/redis-ledger.js";
import { openStore, type Store } from "../../src/store/index.js";
import { REDIS_URL, redisAnswers } from "../support/redis.js";

const DAY = 86_400_000;
const silent = { info: () => undefined, warn: () => undefined } as never;

function job(over: Partial<Job> = {}): Job {
  return {
    id: randomUUID(), state: "delivered", createdAt: 0, updatedAt: 0, guildId: "g", channelId: "c", userId: "u",
    progressMessageId: `p${Math.random()}`, sourceUrls: null,
    params: { prompt: "p", imageUrl: "https://x/y.png", duration: "5", resolution: "720p", aspectRatio: "16:9", audio: true },
    estimate: { micros: 1_512_000, upTo: false, seconds: 5, frame: { width: 1280, height: 720 } },
    reservation: { period: "2026-08-01", micros: 1_512_000, status: "closed" }, uploadLimitBytes: 0, falRequestId: null, queuePosition: null,
    runningSince: null, lastLog: null, videoUrl: null, resultMessageId: `r${Math.random()}`, resultSeed: null, error: null, parentJobId: null,
    ...over,
  };
}

const backends = [
  { name: "SQLite", open: () => openStore(`sqlite://${join(mkdtempSync(join(tmpdir(), "retention-")), "bot.sqlite")}`) },
  { name: "Redis", open: () => openStore(REDIS_URL, { namespace: `test-${randomUUID()}` }) },
];

beforeAll(async () => expect(await redisAnswers(), `Redis must answer at ${REDIS_URL}`).toBe(true));

for (const backend of backends) {
  describe(`retention on ${backend.name}`, () => {
    let store: Store;
    let ledger: Ledger;
    beforeAll(async () => {
      store = await backend.open();
      ledger = store.redis ? new RedisLedger(store.redis, store.prefix) : new EmbeddedLedger(store);
    });
    afterAll(async () => store.close());

    it("deletes jobs that ended before the retention, with their message links and ledger records, and keeps the rest", async () => {
      const now = Date.UTC(2026, 10, 30);
      const old = new JobRepository(store, () => now - 100 * DAY);
      const recent = new JobRepository(store, () => now - 10 * DAY);
      const limits = { userMicros: 100_000_000, guildCapMicros: null, capMicros: null, maxInFlight: 100 };
      const ended = [job(), job({ state: "failed" }), job({ state: "cancelled" })];
      for (const j of ended) {
        const r = { jobId: j.id, guildId: "g", userId: "u", period: "2026-08-01", micros: 1_512_000 };
        await ledger.reserve(r, limits);
        await ledger.refund(r);
        await writeJob(store, old, j);
        await old.linkMessage(j.progressMessageId!, j.id);
        await old.linkMessage(j.resultMessageId!, j.id);
      }
      const kept = job();
      await writeJob(store, recent, kept);
      const stillOpen = job({ state: "running", reservation: { period: "2026-08-01", micros: 1, status: "held" } });
      await writeJob(store, old, stillOpen);

      const swept = await sweepOldRecords({ repo: old, ledger, log: silent, retentionDays: 90, now: () => now });
      expect(swept.jobs).toBe(3);
      for (const j of ended) {
        expect(await old.get(j.id)).toBeUndefined();
        expect(await old.byMessage(j.progressMessageId!)).toBeUndefined();
        expect(await old.byMessage(j.resultMessageId!)).toBeUndefined();
        // the reservation record is gone (a released one would refuse to be held again)
        const again = await ledger.reserve({ jobId: j.id, guildId: "g", userId: "u", period: "2026-08-01", micros: 1 }, limits);
        expect(again.ok).toBe(true);
      }
      expect(await old.get(kept.id)).toMatchObject({ id: kept.id });
      expect(await old.get(stillOpen.id)).toMatchObject({ id: stillOpen.id });
      expect(await old.activeIds()).toContain(stillOpen.id);
      expect((await sweepOldRecords({ repo: old, ledger, log: silent, retentionDays: 90, now: () => now })).jobs).toBe(0);
    });
  });
}

describe("the embedded ledger's memory and old periods", () => {
  afterEach(() => vi.useRealTimers());

  it("keeps a bounded cache and answers the same after evictions", async () => {
    const store = await openStore(`sqlite://${join(mkdtempSync(join(tmpdir(), "ledger-cache-")), "bot.sqlite")}`);
    const ledger = new EmbeddedLedger(store, 50);
    const limits = { userMicros: 10 ** 12, guildCapMicros: null, capMicros: 10 ** 13, maxInFlight: 10_000 };
    const users = Array.from({ length: 40 }, () => randomUUID());
    await Promise.all(
      Array.from({ length: 400 }, async (_, i) => {
        const r = { jobId: randomUUID(), guildId: "g", userId: users[i % 40]!, period: "2026-11-30", micros: 1_000 };
        expect((await ledger.reserve(r, limits)).ok).toBe(true);
        await ledger.settle(r, 600);
      }),
    );
    expect(ledger.cachedRecords).toBeLessThanOrEqual(50);
    for (const u of users) expect(await ledger.usage("g", u, "2026-11-30")).toEqual({ spentMicros: 6_000, reservedMicros: 0, inFlight: 0 });
    expect((await ledger.operatorBooks("2026-11-30")).total).toEqual({ reservedMicros: 0, billedMicros: 240_000, chargedMicros: 240_000, refundedMicros: 0, creditReservedMicros: 0, creditChargedMicros: 0, creditBilledMicros: 0 });
    await store.close();
  });

  it("drops totals of periods untouched for longer than the retention (at least two months), never a current one", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "ledger-prune-")), "bot.sqlite");
    const store = await openStore(`sqlite://${path}`);
    const ledger = new EmbeddedLedger(store);
    const limits = { userMicros: 10 ** 9, guildCapMicros: null, capMicros: null, maxInFlight: 100 };
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2026, 5, 1));
    const june = { jobId: randomUUID(), guildId: "g", userId: "u", period: "2026-06-01", micros: 5 };
    await ledger.reserve(june, limits);
    await ledger.settle(june, 5);
    vi.setSystemTime(Date.UTC(2026, 10, 30));
    const now = { jobId: randomUUID(), guildId: "g", userId: "u", period: "2026-11-30", micros: 7 };
    await ledger.reserve(now, limits);
    const repo = new JobRepository(store);
    const swept = await sweepOldRecords({ repo, ledger, log: silent, retentionDays: 30, now: () => Date.now() });
    expect(swept.ledgerRecords).toBeGreaterThanOrEqual(3); // June's user and global totals and its reservation
    expect(await ledger.usage("g", "u", "2026-06-01")).toEqual({ spentMicros: 0, reservedMicros: 0, inFlight: 1 });
    expect(await ledger.usage("g", "u", "2026-11-30")).toEqual({ spentMicros: 0, reservedMicros: 7, inFlight: 1 });
    expect(statSync(path).size).toBeGreaterThan(0);
    await store.close();
  });
});
