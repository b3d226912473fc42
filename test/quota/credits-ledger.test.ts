import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedLedger } from "../../src/quota/embedded-ledger.js";
import { ledgerKeys as K, type Ledger, type Reservation, type ReserveLimits } from "../../src/quota/ledger.js";
import { RedisLedger } from "../../src/quota/redis-ledger.js";
import { openStore, type Store } from "../../src/store/index.js";
import { REDIS_URL, redisAnswers } from "../support/redis.js";

const JOB = 1_512_000;
const PERIOD = "2026-12-03";

const backends = [
  {
    name: "SQLite",
    async open(): Promise<{ store: Store; ledger: Ledger }> {
      const store = await openStore(`sqlite://${join(mkdtempSync(join(tmpdir(), "credits-")), "bot.sqlite")}`);
      return { store, ledger: new EmbeddedLedger(store) };
    },
  },
  {
    name: "Redis",
    async open(): Promise<{ store: Store; ledger: Ledger }> {
      const store = await openStore(REDIS_URL, { namespace: `test-${randomUUID()}` });
      return { store, ledger: new RedisLedger(store.redis!, store.prefix) };
    },
  },
];

beforeAll(async () => {
  expect(await redisAnswers(), `Redis must answer at ${REDIS_URL} (start redis-server)`).toBe(true);
});

for (const backend of backends) {
  describe(`credits on the ${backend.name} ledger`, () => {
    let store: Store;
    let ledger: Ledger;
    beforeAll(async () => ({ store, ledger } = await backend.open()));
    afterAll(async () => store.close());

    const buy = (userId: string, micros: number, entitlementId = randomUUID(), period = PERIOD) =>
      ledger.grantCredit({ entitlementId, userId, skuId: "sku", micros, period, test: false });
    const job = (over: Partial<Reservation> = {}): Reservation => ({ jobId: randomUUID(), guildId: "g", userId: randomUUID(), period: PERIOD, micros: JOB, ...over });
    const open = (over: Partial<ReserveLimits> = {}): ReserveLimits => ({ userMicros: 0, maxInFlight: 1_000, guildCapMicros: null, capMicros: null, credits: true, ...over });

    it("credits a purchase once per entitlement, whatever repeats it", async () => {
      const userId = randomUUID();
      const id = randomUUID();
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => buy(userId, 5_000_000, id)));
      expect(outcomes.filter((o) => o === "credited")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(19);
      expect(await ledger.creditBalance(userId)).toBe(5_000_000);
      expect(await ledger.creditOf(id)).toEqual({ state: "credited", userId, micros: 5_000_000 });
    });

    it("pays the budget first, then credits, under a 200-way race: no overdraft of either, caps bind the free part only", async () => {
      const userId = randomUUID();
      const guildId = `g-${randomUUID()}`;
      const period = `race-${randomUUID()}`;
      await buy(userId, 10 * JOB + 123, undefined, period); // ten jobs' worth of credits
      // a budget of 3.5 jobs: three jobs free, one split (half free, half credits), then credits only
      const limits = open({ userMicros: 3.5 * JOB, guildCapMicros: 100 * JOB, capMicros: 100 * JOB });
      const outcomes = await Promise.all(Array.from({ length: 200 }, () => ledger.reserve(job({ userId, guildId, period }), limits)));
      const held = outcomes.filter((o) => o.ok);
      // 3.5 jobs from the budget + 10 jobs of credits = 13.5 jobs: 13 fit
      expect(held).toHaveLength(13);
      const creditHeld = held.reduce((sum, o) => sum + ("creditMicros" in o ? (o.creditMicros ?? 0) : 0), 0);
      expect(creditHeld).toBe(13 * JOB - 3.5 * JOB);
      expect(await ledger.creditBalance(userId)).toBe(10 * JOB + 123 - creditHeld);
      expect((await ledger.usage(guildId, userId, period)).reservedMicros).toBe(3.5 * JOB);
      const refusal = outcomes.find((o) => !o.ok);
      expect(refusal).toEqual({ ok: false, reason: "budget", remainingMicros: 0, creditMicros: 10 * JOB + 123 - creditHeld });
      const books = await ledger.operatorBooks(period);
      expect(books.total).toMatchObject({ reservedMicros: 13 * JOB, creditReservedMicros: creditHeld });
    });

    it("a cap used up refuses the budget's part but not the member's own credits", async () => {
      const guildId = `g-${randomUUID()}`;
      const period = `cap-${randomUUID()}`;
      const rich = randomUUID();
      const poor = randomUUID();
      await buy(rich, 3 * JOB, undefined, period);
      const limits = open({ userMicros: 100 * JOB, guildCapMicros: JOB, capMicros: 2 * JOB });
      expect(await ledger.reserve(job({ userId: poor, guildId, period }), limits)).toEqual({ ok: true }); // the cap's one job, free
      expect(await ledger.reserve(job({ userId: poor, guildId, period }), limits)).toEqual({ ok: false, reason: "guild_cap", remainingMicros: 0, creditMicros: 0 });
      // the server's cap is used up: the rich member's credits pay it all, and do not use up the cap
      for (let i = 0; i < 3; i++) expect(await ledger.reserve(job({ userId: rich, guildId, period }), limits)).toEqual({ ok: true, creditMicros: JOB });
      expect(await ledger.reserve(job({ userId: rich, guildId, period }), limits)).toMatchObject({ ok: false, reason: "guild_cap", creditMicros: 0 });
      // another server under the overall cap: one free job left (2 jobs cap, 1 given away)
      expect(await ledger.reserve(job({ userId: poor, guildId: `o-${randomUUID()}`, period }), limits)).toEqual({ ok: true });
      // what credits pay does not use up a cap: a member without budget pays two jobs with credits, and the
      // server's one free job is still there for another member
      const g2 = `g2-${randomUUID()}`;
      const period2 = `cap2-${randomUUID()}`;
      const buyer = randomUUID();
      await buy(buyer, 2 * JOB, undefined, period2);
      const two = { guildCapMicros: JOB, capMicros: JOB };
      const paid = [job({ userId: buyer, guildId: g2, period: period2 }), job({ userId: buyer, guildId: g2, period: period2 })];
      for (const r of paid) expect(await ledger.reserve(r, open({ userMicros: 0, ...two }))).toEqual({ ok: true, creditMicros: JOB });
      // one delivered, one failed after fal billed it (refunded to the member): neither bill is money given away
      expect(await ledger.settle(paid[0]!, JOB, JOB)).toBe(true);
      expect(await ledger.refund(paid[1]!, JOB)).toBe(true);
      expect(await ledger.reserve(job({ guildId: g2, period: period2 }), open({ userMicros: 10 * JOB, ...two }))).toEqual({ ok: true });
      // without packs sold, credits pay nothing and the caps refuse as before
      const someone = randomUUID();
      await buy(someone, 5 * JOB, undefined, period);
      expect(await ledger.reserve(job({ userId: someone, guildId, period }), { ...limits, credits: false })).toEqual({ ok: false, reason: "guild_cap", remainingMicros: 0 });
      expect(await ledger.creditBalance(someone)).toBe(5 * JOB);
    });

    it("a delivered split job is charged from the budget first; what was not used goes back where it came from; a refund returns both parts", async () => {
      const userId = randomUUID();
      const period = `settle-${randomUUID()}`;
      await buy(userId, 2 * JOB, undefined, period);
      const limits = open({ userMicros: JOB / 2 });
      const a = job({ userId, period });
      expect(await ledger.reserve(a, limits)).toEqual({ ok: true, creditMicros: JOB / 2 });
      expect(await ledger.settle(a, 0.75 * JOB, 0.75 * JOB)).toBe(true); // a shorter render: charged 3/4 of the hold
      expect(await ledger.settle(a, 0.75 * JOB, 0.75 * JOB)).toBe(false);
      expect(await ledger.usage("g", userId, period)).toEqual({ spentMicros: JOB / 2, reservedMicros: 0, inFlight: 0 });
      expect(await ledger.creditBalance(userId)).toBe(2 * JOB - 0.25 * JOB);
      const b = job({ userId, period });
      expect(await ledger.reserve(b, limits)).toEqual({ ok: true, creditMicros: JOB });
      expect(await ledger.creditBalance(userId)).toBe(0.75 * JOB);
      expect(await ledger.refund(b, JOB)).toBe(true);
      expect(await ledger.refund(b, JOB)).toBe(false);
      expect(await ledger.creditBalance(userId)).toBe(1.75 * JOB);
      const credits = await ledger.creditBooks(period);
      expect(credits).toMatchObject({ soldMicros: 2 * JOB, spentMicros: 0.25 * JOB, revokedMicros: 0 });
      // the operator's books: b's bill was given away (refunded), a's credit part was paid
      const total = (await ledger.operatorBooks(period)).total;
      // each bill is split as its hold was: a's half from credits, b's all from credits
      expect(total).toMatchObject({ billedMicros: 1.75 * JOB, chargedMicros: 0.75 * JOB, creditChargedMicros: 0.25 * JOB, creditReservedMicros: 0, reservedMicros: 0, creditBilledMicros: 0.375 * JOB + JOB });
    });

    it("a refund by Discord takes the credit back, even below zero, and then refuses new jobs until covered", async () => {
      const userId = randomUUID();
      const period = `revoke-${randomUUID()}`;
      const first = randomUUID();
      await buy(userId, JOB, first, period);
      expect((await ledger.reserve(job({ userId, period }), open())).ok).toBe(true); // spends it all
      expect(await ledger.revokeCredit(first, userId, period)).toBe(true);
      expect(await ledger.revokeCredit(first, userId, period)).toBe(false);
      expect(await ledger.creditBalance(userId)).toBe(-JOB);
      expect(await ledger.reserve(job({ userId, period }), open({ userMicros: 100 * JOB }))).toEqual({ ok: false, reason: "credit_owed", owedMicros: JOB });
      // the same purchase's create arriving again credits nothing: it stays revoked
      expect(await buy(userId, JOB, first, period)).toBe("revoked");
      await buy(userId, 2 * JOB, undefined, period);
      expect(await ledger.creditBalance(userId)).toBe(JOB);
      expect((await ledger.reserve(job({ userId, period }), open({ userMicros: 100 * JOB }))).ok).toBe(true);
      // a delete seen before its create (webhook events come in any order) keeps the create from crediting
      const early = randomUUID();
      expect(await ledger.revokeCredit(early, userId, period)).toBe(false);
      expect(await buy(userId, JOB, early, period)).toBe("revoked");
      expect(await ledger.creditBooks(period)).toMatchObject({ soldMicros: 3 * JOB, revokedMicros: JOB });
    });

    it("never prunes credits: balances and purchases outlive every period", async () => {
      const userId = randomUUID();
      const id = randomUUID();
      await buy(userId, JOB, id, `old-${randomUUID()}`);
      await new Promise((r) => setTimeout(r, 20));
      await ledger.prune(Date.now() + 60_000);
      expect(await ledger.creditBalance(userId)).toBe(JOB);
      expect(await buy(userId, JOB, id)).toBe("duplicate");
      expect(K.credit(userId).startsWith("ledger:credit:")).toBe(true);
    });
  });
}
