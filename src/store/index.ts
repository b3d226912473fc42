import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Keyv from "keyv";
import KeyvSqlite from "@keyv/sqlite";
import KeyvRedis from "@keyv/redis";
import { KeyedLock } from "./lock.js";

/**
 * Records (jobs, message → job links, registration hashes) live in keyv. Sets (the active
 * jobs) and the budget ledger need more than get/set: on Redis they use its own commands
 * and scripts through the client @keyv/redis holds; on SQLite, tables of their own in the
 * same file; in memory, plain maps. One process owns an embedded store.
 */
export interface Store {
  readonly kind: "sqlite" | "redis" | "memory";
  get<T>(key: string): Promise<T | undefined>;
  /** `ttlMs`: the value is gone after that long (short-lived records, such as an open form). */
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  addToSet(setKey: string, member: string): Promise<void>;
  removeFromSet(setKey: string, member: string): Promise<void>;
  members(setKey: string): Promise<string[]>;
  /** A sorted index (member → score, e.g. a time): adds the member or moves it. */
  indexAdd(name: string, member: string, score: number): Promise<void>;
  /** Up to `limit` members whose score is at most `maxScore`, lowest first. */
  indexRange(name: string, maxScore: number, limit: number): Promise<string[]>;
  indexRemove(name: string, members: string[]): Promise<void>;
  /** Members `offset`… (`limit` of them), highest score first. */
  indexNewest(name: string, offset: number, limit: number): Promise<string[]>;
  indexSize(name: string): Promise<number>;
  /** Tells every process on this store (this one too) `message` on `channel`. */
  publish(channel: string, message: string): Promise<void>;
  /** Hears `channel`; returns a function that stops listening. */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  /** Answers when the store does, or throws (for the health check). */
  ping(): Promise<void>;
  /** Runs `work` exclusively for `key` (in this process; Redis callers use scripts instead). */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** The Redis client @keyv/redis holds, for server-side scripts; undefined when embedded. */
  readonly redis: RedisLike | undefined;
  /** SQL on the SQLite file @keyv/sqlite holds, for tables of its own; undefined otherwise. */
  readonly sql: SqlQuery | undefined;
  readonly prefix: string;
  close(): Promise<void>;
}

export type SqlQuery = (sql: string, ...params: unknown[]) => Promise<Array<Record<string, unknown>>>;

export interface RedisLike {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  sAdd(key: string, member: string): Promise<unknown>;
  sRem(key: string, member: string): Promise<unknown>;
  sMembers(key: string): Promise<string[]>;
  zAdd(key: string, member: { score: number; value: string }): Promise<unknown>;
  zRangeByScore(key: string, min: number | string, max: number | string, options: { LIMIT: { offset: number; count: number } }): Promise<string[]>;
  zRem(key: string, members: string[]): Promise<unknown>;
  del(keys: string[]): Promise<unknown>;
  zRange(key: string, start: number, stop: number, options: { REV: true }): Promise<string[]>;
  zCard(key: string): Promise<number>;
  publish(channel: string, message: string): Promise<unknown>;
  ping(): Promise<unknown>;
  duplicate(): RedisLike & { connect(): Promise<unknown>; subscribe(channel: string, listener: (message: string) => void): Promise<unknown>; quit(): Promise<unknown> };
}

const NAMESPACE = "seedance";

export interface StoreOptions {
  /** Key prefix, so several deployments (or test runs) can share one Redis. */
  namespace?: string;
}

export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  if (url.startsWith("redis://") || url.startsWith("rediss://")) {
    // redis://host:port?namespace=name keeps several deployments apart on one server
    const parsed = new URL(url);
    const namespace = options.namespace ?? parsed.searchParams.get("namespace") ?? NAMESPACE;
    parsed.searchParams.delete("namespace");
    return openRedisStore(parsed.toString(), namespace);
  }
  const namespace = options.namespace ?? NAMESPACE;
  let kind: Store["kind"] = "memory";
  let keyv: Keyv;
  let sql: SqlQuery | undefined;
  if (url.startsWith("sqlite://")) {
    const path = url.slice("sqlite://".length);
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const sqlite = new KeyvSqlite({ uri: url, busyTimeout: 10_000 });
    // WAL with NORMAL sync: a commit is an append without an fsync; nothing is lost when the
    // process dies (a power cut may lose the last commits, never consistency)
    await sqlite.query("PRAGMA journal_mode=WAL");
    await sqlite.query("PRAGMA synchronous=NORMAL");
    keyv = new Keyv({ store: sqlite, namespace });
    sql = (text, ...params) => sqlite.query(text, ...params);
    kind = "sqlite";
  } else {
    keyv = new Keyv({ namespace });
  }
  keyv.on("error", () => undefined); // errors surface through the awaited calls
  const lock = new KeyedLock();
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const sets = sql ? sqliteSets(sql, namespace) : memorySets();
  const indexes = sql ? sqliteIndexes(sql, namespace) : memoryIndexes();
  return {
    kind,
    redis: undefined,
    sql,
    prefix: namespace,
    get: (key) => keyv.get(key),
    set: async (key, value, ttlMs) => void (await keyv.set(key, value, ttlMs)),
    delete: async (key) => void (await keyv.delete(key)),
    ...sets,
    ...indexes,
    publish: async (channel, message) => void bus.emit(channel, message),
    subscribe: async (channel, listener) => {
      bus.on(channel, listener);
      return async () => void bus.off(channel, listener);
    },
    ping: async () => void (sql ? await sql("SELECT 1") : undefined),
    exclusive: (key, work) => lock.run(key, work),
    close: async () => keyv.disconnect(),
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

async function openRedisStore(url: string, namespace: string): Promise<Store> {
  const adapter = new KeyvRedis(url);
  const keyv = new Keyv({ store: adapter, namespace, useKeyPrefix: false });
  keyv.on("error", () => undefined);
  const client = (await adapter.getClient()) as unknown as RedisLike;
  const lock = new KeyedLock();
  const native = (k: string) => `${namespace}:set:${k}`;
  return {
    kind: "redis",
    redis: client,
    sql: undefined,
    prefix: namespace,
    get: (key) => keyv.get(key),
    set: async (key, value, ttlMs) => void (await keyv.set(key, value, ttlMs)),
    delete: async (key) => void (await keyv.delete(key)),
    addToSet: async (k, m) => void (await client.sAdd(native(k), m)),
    removeFromSet: async (k, m) => void (await client.sRem(native(k), m)),
    members: (k) => client.sMembers(native(k)),
    indexAdd: async (k, member, score) => void (await client.zAdd(`${namespace}:index:${k}`, { score, value: member })),
    indexRange: (k, maxScore, limit) => client.zRangeByScore(`${namespace}:index:${k}`, "-inf", maxScore, { LIMIT: { offset: 0, count: limit } }),
    indexRemove: async (k, members) => void (members.length && (await client.zRem(`${namespace}:index:${k}`, members))),
    indexNewest: (k, offset, limit) => client.zRange(`${namespace}:index:${k}`, offset, offset + limit - 1, { REV: true }),
    indexSize: (k) => client.zCard(`${namespace}:index:${k}`),
    publish: async (channel, message) => void (await client.publish(`${namespace}:${channel}`, message)),
    subscribe: async (channel, listener) => {
      // a subscribed connection can do nothing else: one of its own
      const sub = client.duplicate();
      await sub.connect();
      await sub.subscribe(`${namespace}:${channel}`, listener);
      return async () => void (await sub.quit().catch(() => undefined));
    },
    ping: async () => void (await client.ping()),
    exclusive: (key, work) => lock.run(key, work),
    close: async () => keyv.disconnect(),
  };
}
