import Keyv from "keyv";
import KeyvRedis, { createClient } from "@keyv/redis";
import { KeyedLock } from "./lock.js";
import { guarded, storeError, StoreUnavailable } from "./errors.js";
import type { RedisLike, Store } from "./types.js";

export interface RedisStoreOptions {
  /** A command that has not answered after this long fails (StoreUnavailable). Default 2 s. */
  commandTimeoutMs?: number;
  /** Hears the client's connection errors (it reconnects by itself); they never crash the process. */
  onConnectionError?: (err: Error) => void;
}

const TAKE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 1`;
// the records are written only while the lease still holds the writer's token, in one step
const FENCED_SET = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[i]) end
return 1
`;

/** Reconnects after 0.1 s, doubling to 2 s, forever: a Redis restart is ridden out. */
const reconnectStrategy = (retries: number) => Math.min(2 ** retries * 100, 2_000) + Math.floor(Math.random() * 100);

/**
 * The Redis client this store uses: commands fail at once while it is disconnected (no offline
 * queue: an interaction is answered, not left waiting past Discord's 3 s) and after a timeout
 * when Redis does not answer, and its errors are heard, never thrown at the process.
 */
function newClient(url: string, o: RedisStoreOptions) {
  const client = createClient({
    url,
    socket: { reconnectStrategy, connectTimeout: 5_000 },
    disableOfflineQueue: true,
    commandOptions: { timeout: o.commandTimeoutMs ?? 2_000 },
  });
  client.on("error", (err: Error) => o.onConnectionError?.(err));
  return client;
}

type Client = ReturnType<typeof newClient>;

/** Closes a client: politely when Redis answers, at once when it does not (a quit would wait for a reconnect). */
async function closeClient(client: Client): Promise<void> {
  if (!client.isReady) return void client.destroy();
  const quit = client.quit().then(() => true, () => false);
  const done = await Promise.race([quit, new Promise<boolean>((r) => setTimeout(() => r(false), 1_000).unref())]);
  if (!done && client.isOpen) client.destroy();
}

/** The client's commands the bot uses, each turning an outage into StoreUnavailable. */
function guardedClient(client: Client): RedisLike {
  const g = <T>(call: () => Promise<T>) => guarded("redis", call);
  const c = client as unknown as RedisLike;
  return {
    eval: (script, options) => g(() => c.eval(script, options)),
    evalSha: (sha, options) => g(() => c.evalSha(sha, options)),
    sAdd: (key, member) => g(() => c.sAdd(key, member)),
    sRem: (key, member) => g(() => c.sRem(key, member)),
    sMembers: (key) => g(() => c.sMembers(key)),
    zAdd: (key, member) => g(() => c.zAdd(key, member)),
    zRangeByScore: (key, min, max, options) => g(() => c.zRangeByScore(key, min, max, options)),
    zRangeByScoreWithScores: (key, min, max) => g(() => c.zRangeByScoreWithScores(key, min, max)),
    zRem: (key, members) => g(() => c.zRem(key, members)),
    zCard: (key) => g(() => c.zCard(key)),
    del: (keys) => g(() => c.del(keys)),
    zRange: (key, start, stop, options) => g(() => c.zRange(key, start, stop, options)),
    hGetAll: (key) => g(() => c.hGetAll(key)),
    hGet: (key, field) => g(() => c.hGet(key, field)),
    get: (key) => g(() => c.get(key)),
    publish: (channel, message) => g(() => c.publish(channel, message)),
    ping: () => g(() => c.ping()),
    configGet: (parameter) => g(() => c.configGet(parameter)),
    persist: (key) => g(() => c.persist(key)),
    sendCommand: (args) => g(() => c.sendCommand(args)),
    scanIterator: (options) => ({
      async *[Symbol.asyncIterator]() {
        try {
          for await (const batch of c.scanIterator(options)) yield batch;
        } catch (err) {
          throw storeError(err, "redis");
        }
      },
    }),
  };
}

export async function openRedisStore(url: string, namespace: string, o: RedisStoreOptions = {}): Promise<Store> {
  const client = newClient(url, o);
  try {
    await Promise.race([client.connect(), new Promise((_, reject) => setTimeout(() => reject(new Error("no answer in 10 s")), 10_000).unref())]);
  } catch (err) {
    await client.destroy();
    throw new StoreUnavailable(`Redis at STORE_URL could not be reached (${(err as Error).message})`, { cause: err });
  }
  const adapter = new KeyvRedis(client as never, { throwOnErrors: true, throwOnConnectError: true });
  const keyv = new Keyv({ store: adapter, namespace, useKeyPrefix: false, throwOnErrors: true });
  keyv.on("error", () => undefined); // thrown to the caller as well (throwOnErrors)
  const redis = guardedClient(client);
  const lock = new KeyedLock();
  const native = (k: string) => `${namespace}:set:${k}`;
  const index = (k: string) => `${namespace}:index:${k}`;
  const leaseKey = (name: string) => `${namespace}:lease:${name}`;
  // keyv's own key and encoding of a record, so `get` reads what a script wrote
  const recordKey = (key: string) => `${namespace}::${key}`;
  const subscribers: Client[] = [];
  return {
    kind: "redis",
    redis,
    sql: undefined,
    prefix: namespace,
    leaseKey,
    get: (key) => guarded("redis", () => keyv.get(key)),
    set: (key, value, ttlMs) => guarded("redis", async () => void (await keyv.set(key, value, ttlMs))),
    delete: (key) => guarded("redis", async () => void (await keyv.delete(key))),
    addToSet: async (k, m) => void (await redis.sAdd(native(k), m)),
    removeFromSet: async (k, m) => void (await redis.sRem(native(k), m)),
    members: (k) => redis.sMembers(native(k)),
    indexAdd: async (k, member, score) => void (await redis.zAdd(index(k), { score, value: member })),
    indexRange: (k, maxScore, limit) => redis.zRangeByScore(index(k), "-inf", maxScore, { LIMIT: { offset: 0, count: limit } }),
    indexRemove: async (k, members) => void (members.length && (await redis.zRem(index(k), members))),
    indexNewest: (k, offset, limit) => redis.zRange(index(k), offset, offset + limit - 1, { REV: true }),
    indexSize: (k) => redis.zCard(index(k)),
    leaseTake: async (name, token, ttlMs) => (await redis.eval(TAKE, { keys: [leaseKey(name)], arguments: [token, String(ttlMs)] })) === 1,
    leaseRenew: async (name, token, ttlMs) => (await redis.eval(RENEW, { keys: [leaseKey(name)], arguments: [token, String(ttlMs)] })) === 1,
    leaseRelease: async (name, token) => void (await redis.eval(RELEASE, { keys: [leaseKey(name)], arguments: [token] })),
    setFenced: async (fence, records) => {
      const encoded = await Promise.all(records.map(async ([, value]) => String(await keyv.serialize!({ value, expires: undefined }))));
      const keys = [leaseKey(fence.name), ...records.map(([key]) => recordKey(key))];
      return (await redis.eval(FENCED_SET, { keys, arguments: [fence.token, ...encoded] })) === 1;
    },
    publish: async (channel, message) => void (await redis.publish(`${namespace}:${channel}`, message)),
    subscribe: async (channel, listener) => {
      // a subscribed connection can do nothing else: one of its own, which resubscribes when it reconnects
      const sub = client.duplicate();
      sub.on("error", (err: Error) => o.onConnectionError?.(err));
      subscribers.push(sub);
      await guarded("redis", async () => {
        await sub.connect();
        await sub.subscribe(`${namespace}:${channel}`, listener);
      });
      return async () => {
        subscribers.splice(subscribers.indexOf(sub), 1);
        await closeClient(sub);
      };
    },
    ping: async () => void (await redis.ping()),
    exclusive: (key, work) => lock.run(key, work),
    close: async () => {
      for (const sub of subscribers.splice(0)) await closeClient(sub);
      await closeClient(client);
    },
  };
}
