import { createHash } from "node:crypto";
import type { RedisLike } from "../store/index.js";
import {
  ledgerKeys as K,
  type CreditBooks,
  type CreditGrant,
  type GrantOutcome,
  type Ledger,
  type OperatorBooks,
  type OperatorTotals,
  type Reservation,
  type ReserveLimits,
  type ReserveOutcome,
  type Usage,
} from "./ledger.js";
import { CLOSE, GRANT, PRUNE, RESERVE, RESET, REVOKE, TOUCHED } from "./redis-scripts.js";

const toTotals = (h: Record<string, string>): OperatorTotals => ({
  reservedMicros: Number(h.reserved ?? 0),
  billedMicros: Number(h.billed ?? 0),
  chargedMicros: Number(h.charged ?? 0),
  refundedMicros: Number(h.refunded ?? 0),
  creditReservedMicros: Number(h.creditReserved ?? 0),
  creditChargedMicros: Number(h.creditCharged ?? 0),
  creditBilledMicros: Number(h.creditBilled ?? 0),
});

/**
 * The ledger on Redis: each step is one Lua script, run atomically by the server, so any
 * number of bot processes share budgets and caps exactly. Member totals and the operator's
 * books are hashes, in-flight counts integers, a reservation a hash with the member's side
 * (`state`) and the operator's (`ops`), the servers of a period a set.
 *
 * Nothing that holds money expires by itself: under a `volatile-*` eviction policy keys with a
 * TTL go first, which would reset the caps mid-period. Each step notes when it last touched
 * its keys in a sorted index instead (by Redis's own clock), and `prune` deletes what has not
 * been touched since, as the SQLite ledger does with its rows' times.
 */
export class RedisLedger implements Ledger {
  constructor(
    private readonly client: RedisLike,
    private readonly prefix: string,
  ) {}

  private key(k: string): string {
    return `${this.prefix}:${k}`;
  }

  /** EVALSHA first (the script text is sent once per server), EVAL when the server lacks it. */
  private async run(script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    const sha = createHash("sha1").update(script).digest("hex");
    const options = { keys, arguments: args.map(String) };
    try {
      return await this.client.evalSha(sha, options);
    } catch (err) {
      if (!String((err as Error).message).includes("NOSCRIPT")) throw err;
      return this.client.eval(script, options);
    }
  }

  async reserve(r: Reservation, limits: ReserveLimits): Promise<ReserveOutcome> {
    const keys = [K.user(r.period, r.guildId, r.userId), K.opsGuild(r.period, r.guildId), K.opsTotal(r.period), K.inFlight(r.guildId, r.userId), K.reservation(r.jobId), K.opsGuilds(r.period), TOUCHED, K.credit(r.userId)];
    const [ok, reason, value, balance] = (await this.run(RESERVE, keys.map((k) => this.key(k)), [
      r.micros,
      limits.userMicros,
      limits.guildCapMicros ?? -1,
      limits.capMicros ?? -1,
      limits.maxInFlight,
      0, // (was a TTL: nothing that holds money expires any more)
      r.guildId,
      limits.credits ? 1 : 0,
    ])) as [number, number, number?, number?];
    if (ok === 1) return Number(value) > 0 ? { ok: true, creditMicros: Number(value) } : { ok: true };
    if (reason === 3) return { ok: false, reason: "in_flight", inFlight: Number(value) };
    if (reason === 4) return { ok: false, reason: "released" };
    if (reason === 6) return { ok: false, reason: "credit_owed", owedMicros: Number(value) };
    const remainingMicros = Math.max(0, Number(value));
    return { ok: false, reason: reason === 5 ? "guild_cap" : reason === 2 ? "spend_cap" : "budget", remainingMicros, ...(limits.credits ? { creditMicros: Number(balance) } : {}) };
  }

  private async close(r: Reservation, member: "settled" | "refunded" | "", charge: number, billed: number | null): Promise<boolean> {
    const keys = [K.reservation(r.jobId), K.user(r.period, r.guildId, r.userId), K.opsGuild(r.period, r.guildId), K.opsTotal(r.period), K.inFlight(r.guildId, r.userId), TOUCHED, K.credit(r.userId), K.outstanding()];
    return (await this.run(CLOSE, keys.map((k) => this.key(k)), [charge, member, billed ?? -1])) === 1;
  }

  settle(r: Reservation, chargeMicros: number, billedMicros: number | null = chargeMicros): Promise<boolean> {
    return this.close(r, "settled", chargeMicros, billedMicros);
  }

  refund(r: Reservation, billedMicros: number | null = 0): Promise<boolean> {
    return this.close(r, "refunded", 0, billedMicros);
  }

  bill(r: Reservation, billedMicros: number): Promise<boolean> {
    return this.close(r, "", 0, billedMicros);
  }

  async grantCredit(g: CreditGrant): Promise<GrantOutcome> {
    const keys = [K.grant(g.entitlementId), K.credit(g.userId), K.outstanding(), K.opsCredits(g.period), TOUCHED];
    return (await this.run(GRANT, keys.map((k) => this.key(k)), [g.userId, g.micros, g.skuId, g.test ? 1 : 0])) as GrantOutcome;
  }

  async revokeCredit(entitlementId: string, userId: string, period: string): Promise<boolean> {
    const keys = [K.grant(entitlementId), K.credit(userId), K.outstanding(), K.opsCredits(period), TOUCHED];
    return (await this.run(REVOKE, keys.map((k) => this.key(k)), [userId])) === 1;
  }

  async creditOf(entitlementId: string): Promise<{ state: "credited" | "revoked"; userId: string; micros: number } | null> {
    const h = await this.client.hGetAll(this.key(K.grant(entitlementId)));
    if (!h.state) return null;
    return { state: h.state as "credited" | "revoked", userId: h.userId ?? "", micros: Number(h.micros ?? 0) };
  }

  async creditBalance(userId: string): Promise<number> {
    return Number((await this.client.get(this.key(K.credit(userId)))) ?? 0);
  }

  async creditBooks(period: string): Promise<CreditBooks> {
    const [credits, total, outstanding] = await Promise.all([
      this.client.hGetAll(this.key(K.opsCredits(period))),
      this.client.hGetAll(this.key(K.opsTotal(period))),
      this.client.get(this.key(K.outstanding())),
    ]);
    return { soldMicros: Number(credits.sold ?? 0), revokedMicros: Number(credits.revoked ?? 0), spentMicros: Number(total.creditCharged ?? 0), outstandingMicros: Number(outstanding ?? 0) };
  }

  async usage(guildId: string, userId: string, period: string): Promise<Usage> {
    const [t, inFlight] = await Promise.all([this.client.hGetAll(this.key(K.user(period, guildId, userId))), this.client.get(this.key(K.inFlight(guildId, userId)))]);
    return { spentMicros: Number(t.spent ?? 0), reservedMicros: Number(t.reserved ?? 0), inFlight: Number(inFlight ?? 0) };
  }

  async operatorTotals(period: string, guildId: string): Promise<{ guild: OperatorTotals; total: OperatorTotals }> {
    const [guild, total] = await Promise.all([this.client.hGetAll(this.key(K.opsGuild(period, guildId))), this.client.hGetAll(this.key(K.opsTotal(period)))]);
    return { guild: toTotals(guild), total: toTotals(total) };
  }

  async operatorBooks(period: string): Promise<OperatorBooks> {
    const ids = await this.client.sMembers(this.key(K.opsGuilds(period)));
    const guilds = await Promise.all(ids.map(async (guildId) => ({ guildId, ...toTotals(await this.client.hGetAll(this.key(K.opsGuild(period, guildId)))) })));
    return { total: toTotals(await this.client.hGetAll(this.key(K.opsTotal(period)))), guilds };
  }

  async resetSpent(guildId: string, userId: string, period: string): Promise<void> {
    await this.run(RESET, [this.key(K.user(period, guildId, userId)), this.key(TOUCHED)], []);
  }

  async forget(jobIds: string[]): Promise<void> {
    if (!jobIds.length) return;
    const keys = jobIds.map((id) => this.key(K.reservation(id)));
    await this.client.del(keys);
    await this.client.zRem(this.key(TOUCHED), keys);
  }

  /** Deletes the ledger's keys untouched since `beforeMs` (old periods' totals), in batches; returns how many. */
  async prune(beforeMs: number): Promise<number> {
    let removed = 0;
    let kept = 0; // in-flight counts still in use stay listed: page past them
    for (;;) {
      const keys = await this.client.zRangeByScore(this.key(TOUCHED), "-inf", `(${beforeMs}`, { LIMIT: { offset: kept, count: 500 } });
      if (!keys.length) return removed;
      const n = Number(await this.run(PRUNE, [this.key(TOUCHED), ...keys], [beforeMs]));
      removed += n;
      kept += keys.length - n;
    }
  }

  /**
   * Once per store: ledger keys written by versions that set a TTL on them lose it (HINCRBY keeps
   * a TTL), and are noted in the touched index so they are pruned like the rest.
   */
  async prepare(): Promise<void> {
    await this.removeExpiries();
  }

  async removeExpiries(): Promise<number> {
    const marker = this.key("ledger:no-expiry:v1");
    if ((await this.client.get(marker)) !== null) return 0;
    let changed = 0;
    for await (const batch of this.client.scanIterator({ MATCH: this.key("ledger:*"), COUNT: 500 })) {
      for (const key of batch) {
        if (key === this.key(TOUCHED)) continue;
        if (Number(await this.client.persist(key)) === 1) {
          changed++;
          await this.client.zAdd(this.key(TOUCHED), { score: Date.now(), value: key });
        }
      }
    }
    await this.client.eval("redis.call('SET', KEYS[1], '1') return 1", { keys: [marker], arguments: [] });
    return changed;
  }
}
