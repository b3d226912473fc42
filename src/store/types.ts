// The store's shapes, apart from its opening, so its backends need not import what opens them.

/**
 * Records (jobs, message → job links, registration hashes) live in keyv. Sets (the active
 * jobs), sorted indexes, leases and the budget ledger need more than get/set: on Redis they use
 * its own commands and scripts; on SQLite, tables of their own in the same file; in memory,
 * plain maps. One process owns an embedded store. Every call that fails because the store is
 * away throws StoreUnavailable (never a silent "not found").
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
  /** Takes the lease `name` with `token` for `ttlMs` when nobody holds it; false when somebody does. */
  leaseTake(name: string, token: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease while `token` still holds it; false when it lapsed or another took it. */
  leaseRenew(name: string, token: string, ttlMs: number): Promise<boolean>;
  leaseRelease(name: string, token: string): Promise<void>;
  /**
   * Writes the records only while `fence` holds its lease, checked in the same atomic step as
   * the writes (one script on Redis, one statement on SQLite); false, and nothing written, otherwise.
   */
  setFenced(fence: Fence, records: Array<[key: string, value: unknown]>): Promise<boolean>;
  /** Tells every process on this store (this one too) `message` on `channel`. */
  publish(channel: string, message: string): Promise<void>;
  /** Hears `channel` (again after the store comes back); returns a function that stops listening. */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  /** Answers when the store does, or throws (for the health check). */
  ping(): Promise<void>;
  /** Runs `work` exclusively for `key` (in this process; Redis callers use scripts instead). */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** The Redis client, for server-side scripts (outages thrown as StoreUnavailable); undefined when embedded. */
  readonly redis: RedisLike | undefined;
  /** SQL on the SQLite file @keyv/sqlite holds, for tables of its own; undefined otherwise. */
  readonly sql: SqlQuery | undefined;
  readonly prefix: string;
  /** The name of a lease as Redis keys it (for scripts that check a lease themselves). */
  leaseKey(name: string): string;
  close(): Promise<void>;
}

/** Proof of holding a lease: its name and the token it was taken with (a new one each time). */
export interface Fence {
  readonly name: string;
  readonly token: string;
}

export type SqlQuery = (sql: string, ...params: unknown[]) => Promise<Array<Record<string, unknown>>>;

export interface RedisLike {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  sAdd(key: string, member: string): Promise<unknown>;
  sRem(key: string, member: string): Promise<unknown>;
  sMembers(key: string): Promise<string[]>;
  zAdd(key: string, member: { score: number; value: string }): Promise<unknown>;
  zRangeByScore(key: string, min: number | string, max: number | string, options: { LIMIT: { offset: number; count: number } }): Promise<string[]>;
  zRangeByScoreWithScores(key: string, min: number | string, max: number | string): Promise<Array<{ value: string; score: number }>>;
  zRem(key: string, members: string[]): Promise<unknown>;
  zCard(key: string): Promise<number>;
  del(keys: string[]): Promise<unknown>;
  zRange(key: string, start: number, stop: number, options: { REV: true }): Promise<string[]>;
  hGetAll(key: string): Promise<Record<string, string>>;
  hGet(key: string, field: string): Promise<string | null | undefined>;
  get(key: string): Promise<string | null>;
  publish(channel: string, message: string): Promise<unknown>;
  ping(): Promise<unknown>;
  configGet(parameter: string): Promise<Record<string, string>>;
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[]>;
  persist(key: string): Promise<unknown>;
  /** Any other command, by its words (INFO, for the benchmark). */
  sendCommand(args: string[]): Promise<unknown>;
}
