import { CACHE_LIMIT, CachedTable, type Store, type Write } from "../store/index.js";
import { splitHold } from "./split.js";
import {
  creditShare,
  givenAway,
  ledgerKeys as K,
  NO_TOTALS,
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

export const LEDGER_CACHE_LIMIT = CACHE_LIMIT;

/** The ledger's rows pruning never deletes: an in-flight count in use, and credits (members' money). */
const KEEP = `(key LIKE 'ledger:inflight:%' AND value <> '0') OR key LIKE 'ledger:credit:%'`;

interface Totals {
  spent: number;
  reserved: number;
}

/** A job's record: the member's side (`state`) and the operator's (`ops`; absent on records older than it). */
interface Held {
  micros: number;
  state: "held" | "settled" | "refunded";
  actual?: number;
  ops?: "held" | "billed";
  billed?: number;
  /** The part of `micros` held from the member's credits (absent: none). */
  credit?: number;
}

/** A purchase as credited (or revoked before it could be). */
interface Grant {
  userId: string;
  micros: number;
  state: "credited" | "revoked";
  skuId?: string;
  test?: boolean;
}

interface PeriodCredits {
  sold: number;
  revoked: number;
}

const ZERO: Totals = { spent: 0, reserved: 0 };

/**
 * The ledger on the embedded store (SQLite or memory): each step reads, decides and writes
 * alone (see CachedTable), so the checks and the holds are exact under any concurrency.
 */
export class EmbeddedLedger implements Ledger {
  private readonly records: CachedTable;

  constructor(store: Store, cacheLimit = LEDGER_CACHE_LIMIT) {
    this.records = new CachedTable(store, { name: "ledger", keepSql: KEEP }, cacheLimit);
  }

  get cachedRecords(): number {
    return this.records.cachedRecords;
  }

  private async totals(key: string): Promise<Totals> {
    return (await this.records.read<Totals>(key)) ?? { ...ZERO };
  }

  private async books(key: string): Promise<OperatorTotals> {
    // records written before credits lack their fields
    return { ...NO_TOTALS, ...(await this.records.read<OperatorTotals>(key)) };
  }

  private async balance(userId: string): Promise<number> {
    return (await this.records.read<number>(K.credit(userId))) ?? 0;
  }

  reserve(r: Reservation, limits: ReserveLimits): Promise<ReserveOutcome> {
    return this.records.step(async (write) => {
      const existing = await this.records.read<Held>(K.reservation(r.jobId));
      if (existing) return existing.state === "held" ? { ok: true } : { ok: false, reason: "released" };
      const [user, inFlight, guild, total, guilds] = await Promise.all([
        this.totals(K.user(r.period, r.guildId, r.userId)),
        this.records.read<number>(K.inFlight(r.guildId, r.userId)).then((n) => n ?? 0),
        this.books(K.opsGuild(r.period, r.guildId)),
        this.books(K.opsTotal(r.period)),
        this.records.read<string[]>(K.opsGuilds(r.period)).then((list) => list ?? []),
      ]);
      if (inFlight >= limits.maxInFlight) return { ok: false, reason: "in_flight", inFlight };
      const balance = limits.credits ? await this.balance(r.userId) : 0;
      const split = splitHold({
        micros: r.micros,
        userLeft: limits.userMicros - user.spent - user.reserved,
        guildLeft: limits.guildCapMicros === null ? null : limits.guildCapMicros - givenAway(guild),
        capLeft: limits.capMicros === null ? null : limits.capMicros - givenAway(total),
        credits: limits.credits === true,
        balance,
      });
      if (!split.ok) return split;
      const { free, credit } = split;
      const held = (t: OperatorTotals) => ({ ...t, reservedMicros: t.reservedMicros + r.micros, creditReservedMicros: t.creditReservedMicros + credit });
      write([
        [K.reservation(r.jobId), { micros: r.micros, state: "held", ops: "held", ...(credit ? { credit } : {}) } satisfies Held],
        [K.user(r.period, r.guildId, r.userId), { spent: user.spent, reserved: user.reserved + free }],
        [K.inFlight(r.guildId, r.userId), inFlight + 1],
        [K.opsGuild(r.period, r.guildId), held(guild)],
        [K.opsTotal(r.period), held(total)],
        ...(credit ? [[K.credit(r.userId), balance - credit] as [string, unknown]] : []),
        ...(guilds.includes(r.guildId) ? [] : [[K.opsGuilds(r.period), [...guilds, r.guildId]] as [string, unknown]]),
      ]);
      return credit ? { ok: true, creditMicros: credit } : { ok: true };
    });
  }

  /**
   * Closes the member's side (`member`: charge or refund) and/or books fal's bill (`billed`),
   * each only if still open. Returns whether the side asked about changed.
   */
  private close(r: Reservation, member: { state: "settled" | "refunded"; charge: number } | null, billed: number | null): Promise<boolean> {
    return this.records.step(async (write: Write) => {
      const held = await this.records.read<Held>(K.reservation(r.jobId));
      if (!held) {
        // refunding a hold that never landed closes it all the same: a reserve arriving late
        // (from a process that stalled past its lease) then finds it released
        if (member?.state !== "refunded") return false;
        const bill = Math.max(0, billed ?? 0);
        const entries: Array<[string, unknown]> = [[K.reservation(r.jobId), { micros: 0, state: "refunded", actual: 0, ops: "billed", billed: bill } satisfies Held]];
        if (bill > 0) {
          for (const key of [K.opsGuild(r.period, r.guildId), K.opsTotal(r.period)]) {
            const t = await this.books(key);
            entries.push([key, { ...t, billedMicros: t.billedMicros + bill }]);
          }
        }
        write(entries);
        return false;
      }
      const next: Held = { ...held };
      const guild = await this.books(K.opsGuild(r.period, r.guildId));
      const total = await this.books(K.opsTotal(r.period));
      const entries: Array<[string, unknown]> = [];
      let changed = false;
      if (member && held.state === "held") {
        // the budget's part is charged first, then credits; what is not charged goes back where it came from
        const credit = held.credit ?? 0;
        const charge = Math.min(member.charge, held.micros);
        const freeCharge = Math.min(charge, held.micros - credit);
        const creditCharge = charge - freeCharge;
        const user = await this.totals(K.user(r.period, r.guildId, r.userId));
        const inFlight = (await this.records.read<number>(K.inFlight(r.guildId, r.userId))) ?? 0;
        entries.push(
          [K.user(r.period, r.guildId, r.userId), { spent: user.spent + freeCharge, reserved: Math.max(0, user.reserved - (held.micros - credit)) }],
          [K.inFlight(r.guildId, r.userId), Math.max(0, inFlight - 1)],
        );
        if (credit) {
          entries.push([K.credit(r.userId), (await this.balance(r.userId)) + credit - creditCharge]);
          const outstanding = (await this.records.read<number>(K.outstanding())) ?? 0;
          if (creditCharge) entries.push([K.outstanding(), outstanding - creditCharge]);
        }
        if (held.ops) {
          const refunded = member.state === "refunded" ? held.micros : 0;
          for (const t of [guild, total]) {
            t.chargedMicros += charge;
            t.refundedMicros += refunded;
            t.creditChargedMicros += creditCharge;
          }
        }
        Object.assign(next, { state: member.state, actual: charge });
        changed = true;
      }
      if (billed !== null && held.ops === "held") {
        const credit = held.credit ?? 0;
        for (const t of [guild, total]) {
          t.reservedMicros = Math.max(0, t.reservedMicros - held.micros);
          t.billedMicros += billed;
          t.creditReservedMicros = Math.max(0, t.creditReservedMicros - credit);
          t.creditBilledMicros += creditShare(billed, credit, held.micros);
        }
        Object.assign(next, { ops: "billed", billed });
        changed ||= member === null;
      }
      if (next.state === held.state && next.ops === held.ops) return false;
      entries.push([K.reservation(r.jobId), next]);
      if (held.ops) entries.push([K.opsGuild(r.period, r.guildId), guild], [K.opsTotal(r.period), total]);
      write(entries);
      return changed;
    });
  }

  settle(r: Reservation, chargeMicros: number, billedMicros: number | null = chargeMicros): Promise<boolean> {
    return this.close(r, { state: "settled", charge: chargeMicros }, billedMicros);
  }

  refund(r: Reservation, billedMicros: number | null = 0): Promise<boolean> {
    return this.close(r, { state: "refunded", charge: 0 }, billedMicros);
  }

  bill(r: Reservation, billedMicros: number): Promise<boolean> {
    return this.close(r, null, billedMicros);
  }

  grantCredit(g: CreditGrant): Promise<GrantOutcome> {
    return this.records.step(async (write) => {
      const existing = await this.records.read<Grant>(K.grant(g.entitlementId));
      if (existing) return existing.state === "credited" ? "duplicate" : "revoked";
      const [balance, outstanding, sold] = await Promise.all([this.balance(g.userId), this.records.read<number>(K.outstanding()), this.periodCredits(g.period)]);
      write([
        [K.grant(g.entitlementId), { userId: g.userId, micros: g.micros, state: "credited", skuId: g.skuId, test: g.test } satisfies Grant],
        [K.credit(g.userId), balance + g.micros],
        [K.outstanding(), (outstanding ?? 0) + g.micros],
        [K.opsCredits(g.period), { ...sold, sold: sold.sold + g.micros }],
      ]);
      return "credited";
    });
  }

  revokeCredit(entitlementId: string, userId: string, period: string): Promise<boolean> {
    return this.records.step(async (write) => {
      const existing = await this.records.read<Grant>(K.grant(entitlementId));
      if (existing?.state === "revoked") return false;
      if (!existing) {
        write([[K.grant(entitlementId), { userId, micros: 0, state: "revoked" } satisfies Grant]]);
        return false;
      }
      const [balance, outstanding, credits] = await Promise.all([this.balance(existing.userId), this.records.read<number>(K.outstanding()), this.periodCredits(period)]);
      write([
        [K.grant(entitlementId), { ...existing, state: "revoked" } satisfies Grant],
        [K.credit(existing.userId), balance - existing.micros],
        [K.outstanding(), (outstanding ?? 0) - existing.micros],
        [K.opsCredits(period), { ...credits, revoked: credits.revoked + existing.micros }],
      ]);
      return true;
    });
  }

  async creditOf(entitlementId: string): Promise<{ state: "credited" | "revoked"; userId: string; micros: number } | null> {
    const g = await this.records.read<Grant>(K.grant(entitlementId));
    return g ? { state: g.state, userId: g.userId, micros: g.micros } : null;
  }

  creditBalance(userId: string): Promise<number> {
    return this.balance(userId);
  }

  async creditBooks(period: string): Promise<CreditBooks> {
    const [credits, total, outstanding] = await Promise.all([this.periodCredits(period), this.books(K.opsTotal(period)), this.records.read<number>(K.outstanding())]);
    return { soldMicros: credits.sold, revokedMicros: credits.revoked, spentMicros: total.creditChargedMicros, outstandingMicros: outstanding ?? 0 };
  }

  private async periodCredits(period: string): Promise<PeriodCredits> {
    return { sold: 0, revoked: 0, ...(await this.records.read<PeriodCredits>(K.opsCredits(period))) };
  }

  async usage(guildId: string, userId: string, period: string): Promise<Usage> {
    const [t, inFlight] = await Promise.all([this.totals(K.user(period, guildId, userId)), this.records.read<number>(K.inFlight(guildId, userId))]);
    return { spentMicros: t.spent, reservedMicros: t.reserved, inFlight: inFlight ?? 0 };
  }

  async operatorTotals(period: string, guildId: string): Promise<{ guild: OperatorTotals; total: OperatorTotals }> {
    const [guild, total] = await Promise.all([this.books(K.opsGuild(period, guildId)), this.books(K.opsTotal(period))]);
    return { guild, total };
  }

  async operatorBooks(period: string): Promise<OperatorBooks> {
    const ids = (await this.records.read<string[]>(K.opsGuilds(period))) ?? [];
    const guilds = await Promise.all(ids.map(async (guildId) => ({ guildId, ...(await this.books(K.opsGuild(period, guildId))) })));
    return { total: await this.books(K.opsTotal(period)), guilds };
  }

  resetSpent(guildId: string, userId: string, period: string): Promise<void> {
    return this.records.step(async (write) => {
      const key = K.user(period, guildId, userId);
      const t = await this.totals(key);
      write([[key, { spent: 0, reserved: t.reserved }]]);
    });
  }

  forget(jobIds: string[]): Promise<void> {
    return this.records.step(() => this.records.delete(jobIds.map((id) => K.reservation(id))));
  }

  prune(beforeMs: number): Promise<number> {
    return this.records.step(() => this.records.deleteOlderThan(beforeMs));
  }
}
