import type { SqlQuery, Store } from "../store/index.js";
import { ledgerKeys as K, type Ledger, type Reservation, type ReserveLimits, type ReserveOutcome, type Usage } from "./ledger.js";

interface Totals {
  spent: number;
  reserved: number;
}
interface Held {
  micros: number;
  state: "held" | "settled" | "refunded";
  actual?: number;
}

const ZERO: Totals = { spent: 0, reserved: 0 };

interface LedgerTable {
  get(key: string): Promise<unknown>;
  putMany(entries: Array<[string, unknown]>): Promise<void>;
}

/** A table of its own in the SQLite file: one multi-row upsert per step (one commit). */
function sqliteTable(sql: SqlQuery, prefix: string): LedgerTable {
  const name = `${prefix.replace(/\W/g, "_")}_ledger`;
  const ready = sql(`CREATE TABLE IF NOT EXISTS ${name} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  return {
    async get(key) {
      await ready;
      const rows = await sql(`SELECT value FROM ${name} WHERE key = ?`, key);
      return rows[0] ? JSON.parse(String(rows[0].value)) : undefined;
    },
    async putMany(entries) {
      await ready;
      // one statement per flush in practice (SQLite takes 32766 parameters)
      for (let i = 0; i < entries.length; i += 8000) {
        const chunk = entries.slice(i, i + 8000);
        await sql(
          `INSERT INTO ${name} (key, value) VALUES ${chunk.map(() => "(?, ?)").join(", ")} ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
          ...chunk.flatMap(([key, value]) => [key, JSON.stringify(value)]),
        );
      }
    },
  };
}

/** The in-memory store: plain keyv records. */
function keyvTable(store: Store): LedgerTable {
  return {
    get: (key) => store.get(key),
    putMany: async (entries) => void (await Promise.all(entries.map(([key, value]) => store.set(key, value)))),
  };
}

/**
 * The ledger on the embedded store (SQLite or memory): one process owns the file, so the
 * steps are made atomic by running them one at a time under an in-process lock. Records
 * it has read stay in memory (nobody else writes them); every change is written through
 * before the step answers.
 */
export class EmbeddedLedger implements Ledger {
  private readonly cache = new Map<string, unknown>();
  private readonly table: LedgerTable;
  private pending = new Map<string, unknown>();
  private waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly store: Store) {
    this.table = store.sql ? sqliteTable(store.sql, store.prefix) : keyvTable(store);
  }

  /** Runs `work` alone (reads and decisions), then waits for its writes outside the lock. */
  private async step<T>(work: (write: (entries: Array<[string, unknown]>) => void) => Promise<T>): Promise<T> {
    let written: Promise<void> = Promise.resolve();
    const result = await this.store.exclusive("ledger", () => work((entries) => (written = this.write(entries))));
    await written;
    return result;
  }

  private async read<T>(key: string): Promise<T | undefined> {
    if (this.cache.has(key)) return this.cache.get(key) as T | undefined;
    const value = (await this.table.get(key)) as T | undefined;
    this.cache.set(key, value);
    return value;
  }

  /**
   * Group commit: a step's changes enter the cache at once (the next step sees them) and are
   * queued; one writer flushes everything queued in one upsert, and each step answers only
   * once its changes are on disk. If a flush fails, it and everything queued after it is
   * dropped and the cache is forgotten, so no step's effect survives half-written.
   */
  private write(entries: Array<[string, unknown]>): Promise<void> {
    for (const [key, value] of entries) {
      this.cache.set(key, value);
      this.pending.set(key, value);
    }
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    while (this.pending.size) {
      const batch = [...this.pending];
      const waiters = this.waiters;
      this.pending = new Map();
      this.waiters = [];
      try {
        await this.table.putMany(batch);
        for (const w of waiters) w.resolve();
      } catch (err) {
        const dropped = [...waiters, ...this.waiters];
        this.pending = new Map();
        this.waiters = [];
        this.cache.clear();
        for (const w of dropped) w.reject(err);
      }
    }
    // In the same tick as the last look at `pending`: a write arriving later starts a new flush.
    this.flushing = null;
  }

  private async totals(key: string): Promise<Totals> {
    return (await this.read<Totals>(key)) ?? { ...ZERO };
  }

  /** What a step reads about a reservation's member and period. */
  private async balances(r: Reservation) {
    const userKey = K.user(r.period, r.guildId, r.userId);
    const globalKey = K.global(r.period);
    const inFlightKey = K.inFlight(r.guildId, r.userId);
    const [user, global, inFlight] = await Promise.all([this.totals(userKey), this.totals(globalKey), this.read<number>(inFlightKey)]);
    return { userKey, globalKey, inFlightKey, user, global, inFlight: inFlight ?? 0 };
  }

  reserve(r: Reservation, limits: ReserveLimits): Promise<ReserveOutcome> {
    return this.step(async (write) => {
      const existing = await this.read<Held>(K.reservation(r.jobId));
      if (existing) return existing.state === "held" ? { ok: true } : { ok: false, reason: "released" };
      const { userKey, globalKey, inFlightKey, user, global, inFlight } = await this.balances(r);
      if (inFlight >= limits.maxInFlight) return { ok: false, reason: "in_flight", inFlight };
      const userLeft = limits.userMicros - user.spent - user.reserved;
      if (r.micros > userLeft) return { ok: false, reason: "budget", remainingMicros: Math.max(0, userLeft) };
      if (limits.capMicros !== null) {
        const capLeft = limits.capMicros - global.spent - global.reserved;
        if (r.micros > capLeft) return { ok: false, reason: "spend_cap", remainingMicros: Math.max(0, capLeft) };
      }
      write([
        [K.reservation(r.jobId), { micros: r.micros, state: "held" } satisfies Held],
        [userKey, { spent: user.spent, reserved: user.reserved + r.micros }],
        [globalKey, { spent: global.spent, reserved: global.reserved + r.micros }],
        [inFlightKey, inFlight + 1],
      ]);
      return { ok: true };
    });
  }

  private release(r: Reservation, actual: number, state: "settled" | "refunded"): Promise<boolean> {
    return this.step(async (write) => {
      const held = await this.read<Held>(K.reservation(r.jobId));
      if (!held || held.state !== "held") return false;
      const charge = Math.min(actual, held.micros);
      const { userKey, globalKey, inFlightKey, user, global, inFlight } = await this.balances(r);
      write([
        [K.reservation(r.jobId), { ...held, state, actual: charge } satisfies Held],
        [userKey, { spent: user.spent + charge, reserved: Math.max(0, user.reserved - held.micros) }],
        [globalKey, { spent: global.spent + charge, reserved: Math.max(0, global.reserved - held.micros) }],
        [inFlightKey, Math.max(0, inFlight - 1)],
      ]);
      return true;
    });
  }

  settle(r: Reservation, actualMicros: number): Promise<boolean> {
    return this.release(r, actualMicros, "settled");
  }

  refund(r: Reservation): Promise<boolean> {
    return this.release(r, 0, "refunded");
  }

  async usage(guildId: string, userId: string, period: string): Promise<Usage> {
    const [t, inFlight] = await Promise.all([this.totals(K.user(period, guildId, userId)), this.read<number>(K.inFlight(guildId, userId))]);
    return { spentMicros: t.spent, reservedMicros: t.reserved, inFlight: inFlight ?? 0 };
  }

  async globalUsage(period: string): Promise<Omit<Usage, "inFlight">> {
    const t = await this.totals(K.global(period));
    return { spentMicros: t.spent, reservedMicros: t.reserved };
  }

  resetSpent(guildId: string, userId: string, period: string): Promise<void> {
    return this.step(async (write) => {
      const key = K.user(period, guildId, userId);
      const t = await this.totals(key);
      write([[key, { spent: 0, reserved: t.reserved }]]);
    });
  }
}
