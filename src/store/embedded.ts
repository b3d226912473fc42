import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Keyv from "keyv";
import KeyvSqlite from "@keyv/sqlite";
import { guarded } from "./errors.js";
import type { Fence, SqlQuery, Store } from "./types.js";
import { lockStoreFile } from "./file-lock.js";
import { KeyedLock } from "./lock.js";

/**
 * The store in one process: keyv on SQLite (tables of its own in the same file for sets,
 * sorted indexes and leases) or in memory. Leases and fenced writes work here as on Redis, so
 * the job path has one set of rules; on SQLite a fenced write is one statement.
 */
export async function openEmbeddedStore(url: string, namespace: string): Promise<Store> {
  let kind: Store["kind"] = "memory";
  let keyv: Keyv;
  let sql: SqlQuery | undefined;
  let lock: { release(): void } | undefined;
  if (url.startsWith("sqlite://")) {
    const path = url.slice("sqlite://".length);
    if (path !== ":memory:") {
      mkdirSync(dirname(path), { recursive: true });
      lock = lockStoreFile(path);
    }
    const sqlite = new KeyvSqlite({ uri: url, busyTimeout: 10_000 });
    // WAL with NORMAL sync: a commit is an append without an fsync; nothing is lost when the
    // process dies (a power cut may lose the last commits, never consistency)
    await sqlite.query("PRAGMA journal_mode=WAL");
    await sqlite.query("PRAGMA synchronous=NORMAL");
    keyv = new Keyv({ store: sqlite, namespace, throwOnErrors: true });
    sql = (text, ...params) => guarded("sqlite", () => sqlite.query(text, ...params));
    kind = "sqlite";
  } else {
    keyv = new Keyv({ namespace, throwOnErrors: true });
  }
  keyv.on("error", () => undefined); // thrown to the caller as well (throwOnErrors)
  const keyed = new KeyedLock();
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const sets = sql ? sqliteSets(sql, namespace) : memorySets();
  const indexes = sql ? sqliteIndexes(sql, namespace) : memoryIndexes();
  const leases = sql ? sqliteLeases(sql, namespace, keyv) : memoryLeases(keyv);
  const k = kind;
  return {
    kind,
    redis: undefined,
    sql,
    prefix: namespace,
    get: (key) => guarded(k, () => keyv.get(key)),
    set: (key, value, ttlMs) => guarded(k, async () => void (await keyv.set(key, value, ttlMs))),
    delete: (key) => guarded(k, async () => void (await keyv.delete(key))),
    ...sets,
    ...indexes,
    ...leases,
    leaseKey: (name) => `${namespace}:lease:${name}`,
    publish: async (channel, message) => void bus.emit(channel, message),
    subscribe: async (channel, listener) => {
      bus.on(channel, listener);
      return async () => void bus.off(channel, listener);
    },
    ping: async () => void (sql ? await sql("SELECT 1") : undefined),
    exclusive: (key, work) => keyed.run(key, work),
    close: async () => {
      await keyv.disconnect();
      lock?.release();
    },
  };
}

type Leases = Pick<Store, "leaseTake" | "leaseRenew" | "leaseRelease" | "setFenced">;

/** keyv's own encoding of a record (what `keyv.get` reads back). */
async function encoded(keyv: Keyv, value: unknown): Promise<string> {
  return String(await keyv.serialize!({ value, expires: undefined }));
}

/**
 * Leases as rows (name, token, expiry): taking one is an upsert that succeeds only over a lapsed
 * row, and a fenced write inserts the record only where the lease row still has the writer's
 * token, in the same statement.
 */
function sqliteLeases(sql: SqlQuery, prefix: string, keyv: Keyv): Leases {
  const table = `${prefix.replace(/\W/g, "_")}_leases`;
  const ready = (async () => {
    await sql(`CREATE TABLE IF NOT EXISTS ${table} (name TEXT PRIMARY KEY, token TEXT NOT NULL, expires INTEGER NOT NULL)`);
    // this process holds the file alone (lockStoreFile): any lease left is a dead process's
    await sql(`DELETE FROM ${table}`);
  })();
  return {
    async leaseTake(name, token, ttlMs) {
      await ready;
      const now = Date.now();
      const rows = await sql(
        `INSERT INTO ${table} (name, token, expires) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET token = excluded.token, expires = excluded.expires WHERE ${table}.expires <= ? RETURNING token`,
        name, token, now + ttlMs, now,
      );
      return rows.length === 1;
    },
    async leaseRenew(name, token, ttlMs) {
      await ready;
      const now = Date.now();
      return (await sql(`UPDATE ${table} SET expires = ? WHERE name = ? AND token = ? AND expires > ? RETURNING name`, now + ttlMs, name, token, now)).length === 1;
    },
    async leaseRelease(name, token) {
      await ready;
      await sql(`DELETE FROM ${table} WHERE name = ? AND token = ?`, name, token);
    },
    async setFenced(fence: Fence, records) {
      await ready;
      const values: unknown[] = [];
      for (const [key, value] of records) values.push(`${prefix}:${key}`, await encoded(keyv, value));
      const rows = await sql(
        `INSERT INTO keyv (key, value) SELECT column1, column2 FROM (VALUES ${records.map(() => "(?, ?)").join(", ")}) ` +
          `WHERE EXISTS (SELECT 1 FROM ${table} WHERE name = ? AND token = ? AND expires > ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value RETURNING key`,
        ...values, fence.name, fence.token, Date.now(),
      );
      return rows.length === records.length;
    },
  };
}

/** In memory the check and the write happen in one turn of the event loop. */
function memoryLeases(keyv: Keyv): Leases {
  const held = new Map<string, { token: string; expires: number }>();
  const holds = (name: string, token: string) => {
    const lease = held.get(name);
    return lease !== undefined && lease.token === token && lease.expires > Date.now();
  };
  return {
    leaseTake: async (name, token, ttlMs) => {
      const lease = held.get(name);
      if (lease && lease.expires > Date.now()) return false;
      held.set(name, { token, expires: Date.now() + ttlMs });
      return true;
    },
    leaseRenew: async (name, token, ttlMs) => {
      if (!holds(name, token)) return false;
      held.set(name, { token, expires: Date.now() + ttlMs });
      return true;
    },
    leaseRelease: async (name, token) => void (held.get(name)?.token === token && held.delete(name)),
    setFenced: async (fence, records) => {
      if (!holds(fence.name, fence.token)) return false;
      for (const [key, value] of records) await keyv.set(key, value);
      return true;
    },
  };
}

type Indexes = Pick<Store, "indexAdd" | "indexRange" | "indexRemove" | "indexNewest" | "indexSize">;

function sqliteIndexes(sql: SqlQuery, prefix: string): Indexes {
  const table = `${prefix.replace(/\W/g, "_")}_index`;
  const ready = (async () => {
    await sql(`CREATE TABLE IF NOT EXISTS ${table} (name TEXT NOT NULL, member TEXT NOT NULL, score REAL NOT NULL, PRIMARY KEY (name, member))`);
    await sql(`CREATE INDEX IF NOT EXISTS ${table}_by_score ON ${table} (name, score)`);
  })();
  return {
    indexAdd: async (name, member, score) =>
      void (await ready, await sql(`INSERT INTO ${table} (name, member, score) VALUES (?, ?, ?) ON CONFLICT(name, member) DO UPDATE SET score = excluded.score`, name, member, score)),
    indexRange: async (name, maxScore, limit) => {
      await ready;
      return (await sql(`SELECT member FROM ${table} WHERE name = ? AND score <= ? ORDER BY score LIMIT ?`, name, maxScore, limit)).map((r) => String(r.member));
    },
    indexNewest: async (name, offset, limit) => {
      await ready;
      return (await sql(`SELECT member FROM ${table} WHERE name = ? ORDER BY score DESC LIMIT ? OFFSET ?`, name, limit, offset)).map((r) => String(r.member));
    },
    indexSize: async (name) => {
      await ready;
      return Number((await sql(`SELECT COUNT(*) AS n FROM ${table} WHERE name = ?`, name))[0]?.n ?? 0);
    },
    indexRemove: async (name, members) => {
      await ready;
      for (let i = 0; i < members.length; i += 500) {
        const chunk = members.slice(i, i + 500);
        await sql(`DELETE FROM ${table} WHERE name = ? AND member IN (${chunk.map(() => "?").join(", ")})`, name, ...chunk);
      }
    },
  };
}

function memoryIndexes(): Indexes {
  const indexes = new Map<string, Map<string, number>>();
  const of = (name: string) => indexes.get(name) ?? indexes.set(name, new Map()).get(name)!;
  return {
    indexAdd: async (name, member, score) => void of(name).set(member, score),
    indexRange: async (name, maxScore, limit) =>
      [...of(name)]
        .filter(([, score]) => score <= maxScore)
        .sort((a, b) => a[1] - b[1])
        .slice(0, limit)
        .map(([member]) => member),
    indexRemove: async (name, members) => members.forEach((m) => of(name).delete(m)),
    indexNewest: async (name, offset, limit) =>
      [...of(name)]
        .sort((a, b) => b[1] - a[1])
        .slice(offset, offset + limit)
        .map(([member]) => member),
    indexSize: async (name) => of(name).size,
  };
}

type Sets = Pick<Store, "addToSet" | "removeFromSet" | "members">;

/** Sets as rows of a table of their own: adding, removing and listing are one statement each. */
function sqliteSets(sql: SqlQuery, prefix: string): Sets {
  const table = `${prefix.replace(/\W/g, "_")}_sets`;
  const ready = sql(`CREATE TABLE IF NOT EXISTS ${table} (name TEXT NOT NULL, member TEXT NOT NULL, PRIMARY KEY (name, member))`);
  return {
    addToSet: async (name, member) => void (await ready, await sql(`INSERT OR IGNORE INTO ${table} (name, member) VALUES (?, ?)`, name, member)),
    removeFromSet: async (name, member) => void (await ready, await sql(`DELETE FROM ${table} WHERE name = ? AND member = ?`, name, member)),
    members: async (name) => {
      await ready;
      return (await sql(`SELECT member FROM ${table} WHERE name = ?`, name)).map((row) => String(row.member));
    },
  };
}

function memorySets(): Sets {
  const sets = new Map<string, Set<string>>();
  const of = (name: string) => sets.get(name) ?? sets.set(name, new Set()).get(name)!;
  return {
    addToSet: async (name, member) => void of(name).add(member),
    removeFromSet: async (name, member) => void of(name).delete(member),
    members: async (name) => [...of(name)],
  };
}
