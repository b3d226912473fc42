import type { Store } from "../store/index.js";
import { CachedTable, LEDGER_CACHE_LIMIT, type Write } from "./ledger-table.js";
import {
  ledgerKeys as K,
  NO_TOTALS,
  type Ledger,
  type OperatorBooks,
  type OperatorTotals,
  type Reservation,
  type ReserveLimits,
  type ReserveOutcome,
  type Usage,
} from "./ledger.js";

export { LEDGER_CACHE_LIMIT };

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
}

const ZERO: Totals = { spent: 0, reserved: 0 };
const used = (t: OperatorTotals) => t.billedMicros + t.reservedMicros;

/**
 * The ledger on the embedded store (SQLite or memory): each step reads, decides and writes
 * alone (see CachedTable), so the checks and the holds are exact under any concurrency.
 */
export class EmbeddedLedger implements Ledger {
  private readonly records: CachedTable;

  constructor(store: Store, cacheLimit = LEDGER_CACHE_LIMIT) {
    this.records = new CachedTable(store, cacheLimit);
  }

  get cachedRecords(): number {
    return this.records.cachedRecords;
  }

  private async totals(key: string): Promise<Totals> {
    return (await this.records.read<Totals>(key)) ?? { ...ZERO };
  }

  private async books(key: string): Promise<OperatorTotals> {
    return (await this.records.read<OperatorTotals>(key)) ?? { ...NO_TOTALS };
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
      const userLeft = limits.userMicros - user.spent - user.reserved;
      if (r.micros > userLeft) return { ok: false, reason: "budget", remainingMicros: Math.max(0, userLeft) };
      if (limits.guildCapMicros !== null && r.micros > limits.guildCapMicros - used(guild)) {
        return { ok: false, reason: "guild_cap", remainingMicros: Math.max(0, limits.guildCapMicros - used(guild)) };
      }
      if (limits.capMicros !== null && r.micros > limits.capMicros - used(total)) {
        return { ok: false, reason: "spend_cap", remainingMicros: Math.max(0, limits.capMicros - used(total)) };
      }
      write([
        [K.reservation(r.jobId), { micros: r.micros, state: "held", ops: "held" } satisfies Held],
        [K.user(r.period, r.guildId, r.userId), { spent: user.spent, reserved: user.reserved + r.micros }],
        [K.inFlight(r.guildId, r.userId), inFlight + 1],
        [K.opsGuild(r.period, r.guildId), { ...guild, reservedMicros: guild.reservedMicros + r.micros }],
        [K.opsTotal(r.period), { ...total, reservedMicros: total.reservedMicros + r.micros }],
        ...(guilds.includes(r.guildId) ? [] : [[K.opsGuilds(r.period), [...guilds, r.guildId]] as [string, unknown]]),
      ]);
      return { ok: true };
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
        const charge = Math.min(member.charge, held.micros);
        const user = await this.totals(K.user(r.period, r.guildId, r.userId));
        const inFlight = (await this.records.read<number>(K.inFlight(r.guildId, r.userId))) ?? 0;
        entries.push(
          [K.user(r.period, r.guildId, r.userId), { spent: user.spent + charge, reserved: Math.max(0, user.reserved - held.micros) }],
          [K.inFlight(r.guildId, r.userId), Math.max(0, inFlight - 1)],
        );
        if (held.ops) {
          const refunded = member.state === "refunded" ? held.micros : 0;
          for (const t of [guild, total]) {
            t.chargedMicros += charge;
            t.refundedMicros += refunded;
          }
        }
        Object.assign(next, { state: member.state, actual: charge });
        changed = true;
      }
      if (billed !== null && held.ops === "held") {
        for (const t of [guild, total]) {
          t.reservedMicros = Math.max(0, t.reservedMicros - held.micros);
          t.billedMicros += billed;
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

  async usage(guildId: string, userId: string, period: string): Promise<Usage> {
    const [t, inFlight] = await Promise.all([this.totals(K.user(period, guildId, userId)), this.records.read<number>(K.inFlight(guildId, userId))]);
    return { spentMicros: t.spent, reservedMicros: t.reserved, inFlight: inFlight ?? 0 };
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
