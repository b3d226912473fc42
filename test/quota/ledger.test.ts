import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedLedger } from "../../src/quota/embedded-ledger.js";
import type { Ledger, Reservation } from "../../src/quota/ledger.js";
import { RedisLedger } from "../../src/quota/redis-ledger.js";
import { openStore, type Store } from "../../src/store/index.js";
import { REDIS_URL, redisAnswers } from "../support/redis.js";

const run = promisify(execFile);
const JOB = 1_512_000; // a 5 s 720p 16:9 video
const unlimited = { guildCapMicros: null, capMicros: null, maxInFlight: 1_000_000 };

interface Backend {
  name: string;
  open(): Promise<{ store: Store; ledger: Ledger }>;
}

const backends: Backend[] = [
  {
    name: "SQLite",
    async open() {
      const store = await openStore(`sqlite://${join(mkdtempSync(join(tmpdir(), "ledger-")), "bot.sqlite")}`);
      return { store, ledger: new EmbeddedLedger(store) };
    },
  },
  {
    name: "Redis",
    async open() {
      const store = await openStore(REDIS_URL, { namespace: `test-${randomUUID()}` });
      return { store, ledger: new RedisLedger(store.redis!, store.prefix) };
    },
  },
];

beforeAll(async () => {
  // Redis is part of the test environment: its absence fails the suite rather than skipping it.
  expect(await redisAnswers(), `Redis must answer at ${REDIS_URL} (start redis-server)`).toBe(true);
});

for (const backend of backends) {
  describe(`budget ledger on ${backend.name}`, () => {
    let store: Store;
    let ledger: Ledger;
    beforeAll(async () => ({ store, ledger } = await backend.open()));
    afterAll(async () => store.close());

    const reservation = (over: Partial<Reservation> = {}): Reservation => ({
      jobId: randomUUID(),
      guildId: "g",
      userId: randomUUID(),
      period: "2026-11-24",
      micros: JOB,
      ...over,
    });

    it("lets exactly N of 200 concurrent reservations through when the budget covers N", async () => {
      const userId = randomUUID();
      const n = 7;
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, () => ledger.reserve(reservation({ userId }), { userMicros: n * JOB, ...unlimited })),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(n);
      expect(outcomes.find((o) => !o.ok)).toMatchObject({ ok: false, reason: "budget", remainingMicros: 0 });
      const usage = await ledger.usage("g", userId, "2026-11-24");
      expect(usage).toEqual({ spentMicros: 0, reservedMicros: n * JOB, inFlight: n });
    });

    it("moves the balance once when settling or refunding twice, and returns what a short video did not use", async () => {
      const userId = randomUUID();
      const a = reservation({ userId });
      const b = reservation({ userId });
      expect((await ledger.reserve(a, { userMicros: 5_000_000, ...unlimited })).ok).toBe(true);
      expect((await ledger.reserve(b, { userMicros: 5_000_000, ...unlimited })).ok).toBe(true);
      expect(await ledger.settle(a, 1_000_000)).toBe(true);
      expect(await ledger.settle(a, 1_000_000)).toBe(false);
      expect(await ledger.refund(a)).toBe(false);
      expect(await ledger.refund(b)).toBe(true);
      expect(await ledger.refund(b)).toBe(false);
      expect(await ledger.settle(b, JOB)).toBe(false);
      expect(await ledger.usage("g", userId, "2026-11-24")).toEqual({ spentMicros: 1_000_000, reservedMicros: 0, inFlight: 0 });
    });

    it("refuses to hold a job again once its reservation was refunded or settled, and holds a held one once", async () => {
      const userId = randomUUID();
      const limits = { userMicros: 10 * JOB, ...unlimited };
      const refunded = reservation({ userId });
      const settled = reservation({ userId });
      expect((await ledger.reserve(refunded, limits)).ok).toBe(true);
      expect((await ledger.reserve(refunded, limits)).ok).toBe(true); // the same hold, not a second one
      expect(await ledger.refund(refunded)).toBe(true);
      expect(await ledger.reserve(refunded, limits)).toEqual({ ok: false, reason: "released" });
      expect((await ledger.reserve(settled, limits)).ok).toBe(true);
      expect(await ledger.settle(settled, JOB)).toBe(true);
      expect(await ledger.reserve(settled, limits)).toEqual({ ok: false, reason: "released" });
      expect(await ledger.usage("g", userId, "2026-11-24")).toEqual({ spentMicros: JOB, reservedMicros: 0, inFlight: 0 });
    });

    it("closes a hold that never landed when it is refunded: a reserve arriving late is refused and holds nothing", async () => {
      const userId = randomUUID();
      const limits = { userMicros: 10 * JOB, ...unlimited };
      const late = reservation({ userId });
      // the driver that took the job over ends it before the first driver's reserve arrives
      expect(await ledger.refund(late)).toBe(false); // nothing was held: nothing refunded
      expect(await ledger.reserve(late, limits)).toEqual({ ok: false, reason: "released" });
      expect(await ledger.usage("g", userId, "2026-11-24")).toEqual({ spentMicros: 0, reservedMicros: 0, inFlight: 0 });
      expect(await ledger.settle(reservation({ userId }), JOB)).toBe(false); // a settle closes nothing it never held
      expect(await ledger.usage("g", userId, "2026-11-24")).toEqual({ spentMicros: 0, reservedMicros: 0, inFlight: 0 });
    });

    it("holds a server to its cap whatever its members' budgets: exactly N of 200 members at once", async () => {
      const guildId = `g-${randomUUID()}`;
      const n = 7;
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, () => ledger.reserve(reservation({ guildId, userId: randomUUID() }), { userMicros: 1_000 * JOB, maxInFlight: 10, guildCapMicros: n * JOB, capMicros: null })),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(n);
      expect(outcomes.find((o) => !o.ok)).toEqual({ ok: false, reason: "guild_cap", remainingMicros: 0 });
      const books = await ledger.operatorBooks("2026-11-24");
      expect(books.guilds.find((g) => g.guildId === guildId)).toMatchObject({ reservedMicros: n * JOB, billedMicros: 0 });
      // another server is not held by this one's cap
      expect((await ledger.reserve(reservation({ guildId: `other-${randomUUID()}` }), { userMicros: 1_000 * JOB, maxInFlight: 10, guildCapMicros: n * JOB, capMicros: null })).ok).toBe(true);
    });

    it("keeps the operator's books: what fal billed counts against the caps, also for a refunded job, and a bill can come later", async () => {
      const period = `p-${randomUUID()}`;
      const guildId = `g-${randomUUID()}`;
      const limits = { userMicros: 1_000 * JOB, maxInFlight: 10, guildCapMicros: null, capMicros: 3 * JOB };
      const delivered = reservation({ period, guildId });
      const failedAfterRender = reservation({ period, guildId });
      const stillRendering = reservation({ period, guildId });
      for (const r of [delivered, failedAfterRender, stillRendering]) expect((await ledger.reserve(r, limits)).ok).toBe(true);
      expect(await ledger.reserve(reservation({ period, guildId }), limits)).toEqual({ ok: false, reason: "spend_cap", remainingMicros: 0 });

      expect(await ledger.settle(delivered, 2 * JOB, 2 * JOB)).toBe(true); // fal billed more than held: the member pays the hold
      expect(await ledger.refund(failedAfterRender, JOB)).toBe(true); // the member gets it back; fal's bill stays on the books
      expect(await ledger.refund(stillRendering, null)).toBe(true); // fal's bill not known yet: its hold stays on the books
      expect((await ledger.usage(guildId, delivered.userId, period)).spentMicros).toBe(JOB);
      expect((await ledger.usage(guildId, failedAfterRender.userId, period)).spentMicros).toBe(0);
      let books = await ledger.operatorBooks(period);
      expect(books.total).toEqual({ reservedMicros: JOB, billedMicros: 3 * JOB, chargedMicros: JOB, refundedMicros: 2 * JOB, creditReservedMicros: 0, creditChargedMicros: 0, creditBilledMicros: 0 });
      expect(await ledger.reserve(reservation({ period, guildId }), limits)).toEqual({ ok: false, reason: "spend_cap", remainingMicros: 0 });

      expect(await ledger.bill(stillRendering, 0)).toBe(true); // fal was done, and billed nothing
      expect(await ledger.bill(stillRendering, JOB)).toBe(false);
      expect(await ledger.refund(failedAfterRender, 5 * JOB)).toBe(false); // each side moves once
      books = await ledger.operatorBooks(period);
      expect(books.total).toEqual({ reservedMicros: 0, billedMicros: 3 * JOB, chargedMicros: JOB, refundedMicros: 2 * JOB, creditReservedMicros: 0, creditChargedMicros: 0, creditBilledMicros: 0 });
      expect(books.guilds).toEqual([{ guildId, ...books.total }]);
    });

    it("never charges more than was held", async () => {
      const r = reservation();
      await ledger.reserve(r, { userMicros: 5_000_000, ...unlimited });
      await ledger.settle(r, 9_000_000);
      expect((await ledger.usage("g", r.userId, r.period)).spentMicros).toBe(JOB);
    });

    it("holds the deployment's spend cap in the same step and limits jobs in flight", async () => {
      const period = `cap-${randomUUID()}`;
      const first = await ledger.reserve(reservation({ period }), { userMicros: 100_000_000, guildCapMicros: null, capMicros: 2 * JOB, maxInFlight: 10 });
      const second = await ledger.reserve(reservation({ period }), { userMicros: 100_000_000, guildCapMicros: null, capMicros: 2 * JOB, maxInFlight: 10 });
      const third = await ledger.reserve(reservation({ period }), { userMicros: 100_000_000, guildCapMicros: null, capMicros: 2 * JOB, maxInFlight: 10 });
      expect([first.ok, second.ok]).toEqual([true, true]);
      expect(third).toEqual({ ok: false, reason: "spend_cap", remainingMicros: 0 });
      const userId = randomUUID();
      const limits = { userMicros: 100_000_000, guildCapMicros: null, capMicros: null, maxInFlight: 2 };
      const held = [reservation({ userId }), reservation({ userId })];
      for (const r of held) expect((await ledger.reserve(r, limits)).ok).toBe(true);
      expect(await ledger.reserve(reservation({ userId }), limits)).toEqual({ ok: false, reason: "in_flight", inFlight: 2 });
      await ledger.refund(held[0]!);
      expect((await ledger.reserve(reservation({ userId }), limits)).ok).toBe(true);
    });

    it("resets a member's spending for the period but keeps running jobs' holds", async () => {
      const r1 = reservation();
      const r2 = reservation({ userId: r1.userId });
      await ledger.reserve(r1, { userMicros: 5_000_000, ...unlimited });
      await ledger.settle(r1, JOB);
      await ledger.reserve(r2, { userMicros: 5_000_000, ...unlimited });
      await ledger.resetSpent("g", r1.userId, r1.period);
      expect(await ledger.usage("g", r1.userId, r1.period)).toEqual({ spentMicros: 0, reservedMicros: JOB, inFlight: 1 });
    });
  });
}

describe("budget ledger on Redis from two processes", () => {
  it("shares one budget exactly", async () => {
    const namespace = `test-${randomUUID()}`;
    const n = 13;
    const worker = (count: number) =>
      run(process.execPath, ["--import", "tsx", "test/support/reserve-worker.ts", REDIS_URL, namespace, "g", "u", String(count), String(JOB), String(n * JOB)]);
    const results = await Promise.all([worker(150), worker(150)]);
    const oks = results.map((r) => (JSON.parse(r.stdout) as { ok: number }).ok);
    expect(oks[0]! + oks[1]!).toBe(n);
    const store = await openStore(REDIS_URL, { namespace });
    const usage = await new RedisLedger(store.redis!, store.prefix).usage("g", "u", "p");
    await store.close();
    expect(usage.reservedMicros).toBe(n * JOB);
  });
});
