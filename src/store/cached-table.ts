import type { SqlQuery, Store } from "./types.js";

/** What a cached table is called (its SQLite table is `<prefix>_<name>`) and which rows pruning never deletes. */
export interface TableOptions {
  name: string;
  /** An SQL condition on `key` and `value` for rows `deleteOlderThan` keeps, whatever their age. */
  keepSql: string;
}

export interface LedgerTable {
  get(key: string): Promise<unknown>;
  putMany(entries: Array<[string, unknown]>): Promise<void>;
  deleteKeys(keys: string[]): Promise<void>;
  /** Deletes rows untouched since `beforeMs` (an in-flight count above zero is kept); returns how many. */
  deleteOlderThan(beforeMs: number): Promise<number>;
}

/** A table of its own in the SQLite file: one multi-row upsert per step (one commit). */
export function sqliteTable(sql: SqlQuery, prefix: string, options: TableOptions): LedgerTable {
  const name = `${prefix.replace(/\W/g, "_")}_${options.name}`;
  const ready = (async () => {
    await sql(`CREATE TABLE IF NOT EXISTS ${name} (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER)`);
    // files written before rows carried their time: add it, dated now, so nothing is pruned early
    const columns = await sql(`PRAGMA table_info(${name})`);
    if (!columns.some((c) => c.name === "updated_at")) await sql(`ALTER TABLE ${name} ADD COLUMN updated_at INTEGER`);
    await sql(`UPDATE ${name} SET updated_at = ? WHERE updated_at IS NULL`, Date.now());
  })();
  return {
    async get(key) {
      await ready;
      const rows = await sql(`SELECT value FROM ${name} WHERE key = ?`, key);
      return rows[0] ? JSON.parse(String(rows[0].value)) : undefined;
    },
    async putMany(entries) {
      await ready;
      const now = Date.now();
      // one statement per flush in practice (SQLite takes 32766 parameters)
      for (let i = 0; i < entries.length; i += 8000) {
        const chunk = entries.slice(i, i + 8000);
        await sql(
          `INSERT INTO ${name} (key, value, updated_at) VALUES ${chunk.map(() => "(?, ?, ?)").join(", ")} ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          ...chunk.flatMap(([key, value]) => [key, JSON.stringify(value), now]),
        );
      }
    },
    async deleteKeys(keys) {
      await ready;
      for (let i = 0; i < keys.length; i += 500) {
        const chunk = keys.slice(i, i + 500);
        await sql(`DELETE FROM ${name} WHERE key IN (${chunk.map(() => "?").join(", ")})`, ...chunk);
      }
    },
    async deleteOlderThan(beforeMs) {
      await ready;
      const where = `updated_at < ? AND NOT (${options.keepSql})`;
      const [row] = await sql(`SELECT COUNT(*) AS n FROM ${name} WHERE ${where}`, beforeMs);
      await sql(`DELETE FROM ${name} WHERE ${where}`, beforeMs);
      return Number(row?.n ?? 0);
    },
  };
}

/** The in-memory store: plain keyv records (gone when the process ends). */
export function keyvTable(store: Store): LedgerTable {
  return {
    get: (key) => store.get(key),
    putMany: async (entries) => void (await Promise.all(entries.map(([key, value]) => store.set(key, value)))),
    deleteKeys: async (keys) => void (await Promise.all(keys.map((key) => store.delete(key)))),
    deleteOlderThan: async () => 0,
  };
}

/** Records kept in memory at most; the least recently used go first (they are on disk). */
export const CACHE_LIMIT = 20_000;

export type Write = (entries: Array<[string, unknown]>) => void;

/**
 * The embedded ledger's records: one process owns the file, so each step runs alone under an
 * in-process lock and reads what it needs; recently used records stay in memory (nobody else
 * writes them). Its changes are visible at once to the next step and written with group
 * commit: one writer flushes everything queued in one upsert, and each step answers only once
 * its changes are on disk. If a flush fails, it and everything queued after it is dropped and
 * the cache is forgotten, so no step's effect survives half-written.
 */
export class CachedTable {
  private readonly cache = new Map<string, unknown>();
  private readonly table: LedgerTable;
  /** Changes not yet confirmed on disk (queued or being written): read before the cache and the table. */
  private readonly unflushed = new Map<string, unknown>();
  private pending = new Map<string, unknown>();
  private waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: TableOptions,
    private readonly cacheLimit = CACHE_LIMIT,
  ) {
    this.table = store.sql ? sqliteTable(store.sql, store.prefix, options) : keyvTable(store);
  }

  /** How many records are held in memory (bounded by the cache limit). */
  get cachedRecords(): number {
    return this.cache.size;
  }

  /** Runs `work` alone (reads and decisions), then waits for its writes outside the lock. */
  async step<T>(work: (write: Write) => Promise<T>): Promise<T> {
    let written: Promise<void> = Promise.resolve();
    const result = await this.store.exclusive(this.options.name, () => work((entries) => (written = this.write(entries))));
    await written;
    return result;
  }

  async read<T>(key: string): Promise<T | undefined> {
    if (this.unflushed.has(key)) return this.unflushed.get(key) as T | undefined;
    if (this.cache.has(key)) {
      const value = this.cache.get(key);
      this.remember(key, value); // most recently used last
      return value as T | undefined;
    }
    const value = (await this.table.get(key)) as T | undefined;
    this.remember(key, value);
    return value;
  }

  /** Deletes records (under the step's lock, once everything queued is on disk). */
  async delete(keys: string[]): Promise<void> {
    await this.settled();
    await this.table.deleteKeys(keys);
    for (const key of keys) this.cache.delete(key);
  }

  /** Deletes records untouched since `beforeMs` (under the step's lock); returns how many. */
  async deleteOlderThan(beforeMs: number): Promise<number> {
    await this.settled();
    const removed = await this.table.deleteOlderThan(beforeMs);
    this.cache.clear(); // whatever it held may be gone from the table now
    return removed;
  }

  private remember(key: string, value: unknown): void {
    this.cache.delete(key);
    this.cache.set(key, value);
    while (this.cache.size > this.cacheLimit) this.cache.delete(this.cache.keys().next().value!);
  }

  private write(entries: Array<[string, unknown]>): Promise<void> {
    for (const [key, value] of entries) {
      this.remember(key, value);
      this.unflushed.set(key, value);
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
        // on disk now, unless a later change to the same key is still on its way
        for (const [key, value] of batch) if (this.unflushed.get(key) === value && !this.pending.has(key)) this.unflushed.delete(key);
        for (const w of waiters) w.resolve();
      } catch (err) {
        const dropped = [...waiters, ...this.waiters];
        this.pending = new Map();
        this.waiters = [];
        this.unflushed.clear();
        this.cache.clear();
        for (const w of dropped) w.reject(err);
      }
    }
    // In the same tick as the last look at `pending`: a write arriving later starts a new flush.
    this.flushing = null;
  }

  /** Waits until every queued change is on disk (called under the lock: nothing new is queued). */
  private async settled(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
  }
}
