import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ledgerKeys as K } from "../../src/quota/ledger.js";
import { RedisLedger } from "../../src/quota/redis-ledger.js";
import { openStore, type Store } from "../../src/store/index.js";
import { BotProcess } from "../support/child.js";
import { ownRedis, type OwnRedis } from "../support/cluster.js";
import { REDIS_URL, redisAnswers } from "../support/redis.js";
import { closeWorld, startWorld, type World } from "../support/world.js";

let store: Store | undefined;
let redis: OwnRedis | undefined;
let world: World | undefined;
afterEach(async () => {
  await store?.close();
  await closeWorld(world);
  redis?.stop();
  store = undefined;
  redis = undefined;
  world = undefined;
});

const JOB = 1_524_600;
const limits = { userMicros: 100_000_000, guildCapMicros: 50_000_000, capMicros: 100_000_000, maxInFlight: 10 };

describe("Redis that keeps money", () => {
  it("no key holding money expires by itself: members' spending, holds, the operator's books, in-flight counts", async () => {
    expect(await redisAnswers(), `Redis must answer at ${REDIS_URL}`).toBe(true);
    store = await openStore(REDIS_URL, { namespace: `test-${randomUUID()}` });
    const ledger = new RedisLedger(store.redis!, store.prefix);
    const r = { jobId: randomUUID(), guildId: "g", userId: "u", period: "2026-12-03", micros: JOB };
    const other = { ...r, jobId: randomUUID() };
    expect((await ledger.reserve(r, limits)).ok).toBe(true);
    expect((await ledger.reserve(other, limits)).ok).toBe(true);
    await ledger.settle(r, JOB);
    const keys = [K.user(r.period, "g", "u"), K.inFlight("g", "u"), K.reservation(r.jobId), K.reservation(other.jobId), K.opsGuild(r.period, "g"), K.opsTotal(r.period), K.opsGuilds(r.period)];
    for (const key of keys) expect(await store.redis!.sendCommand(["TTL", `${store.prefix}:${key}`]), key).toBe(-1);
  });

  it("pruning deletes what was not touched since, and keeps what was, and an in-flight count still in use", async () => {
    store = await openStore(REDIS_URL, { namespace: `test-${randomUUID()}` });
    const ledger = new RedisLedger(store.redis!, store.prefix);
    const old = { jobId: randomUUID(), guildId: "g", userId: "u", period: "2026-10-01", micros: JOB };
    const running = { jobId: randomUUID(), guildId: "g", userId: "u", period: "2026-10-01", micros: JOB };
    await ledger.reserve(old, limits);
    await ledger.settle(old, JOB);
    await ledger.reserve(running, limits); // still held: its member's in-flight count is 1
    await new Promise((r) => setTimeout(r, 20));
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    const recent = { jobId: randomUUID(), guildId: "h", userId: "v", period: "2026-12-03", micros: JOB };
    await ledger.reserve(recent, limits);
    const removed = await ledger.prune(cut);
    expect(removed).toBeGreaterThan(0);
    const exists = async (key: string) => Number(await store!.redis!.sendCommand(["EXISTS", `${store!.prefix}:${key}`]));
    expect(await exists(K.opsTotal(old.period))).toBe(0);
    expect(await exists(K.user(old.period, "g", "u"))).toBe(0);
    expect(await exists(K.inFlight("g", "u"))).toBe(1); // a job of this member is still held
    expect(await exists(K.opsTotal(recent.period))).toBe(1);
    expect(await exists(K.reservation(recent.jobId))).toBe(1);
  });

  it("books written with an expiry by an earlier version lose it at start", async () => {
    store = await openStore(REDIS_URL, { namespace: `test-${randomUUID()}` });
    const key = `${store.prefix}:${K.opsTotal("2026-12-03")}`;
    await store.redis!.sendCommand(["HSET", key, "billed", "1000"]);
    await store.redis!.sendCommand(["EXPIRE", key, "5184000"]);
    const ledger = new RedisLedger(store.redis!, store.prefix);
    await ledger.prepare();
    expect(await store.redis!.sendCommand(["TTL", key])).toBe(-1);
  });
});

describe("Redis's settings, checked at start", () => {
  const start = async (env: Record<string, string>) => BotProcess.start({ ...world!.env, ...env }).then((bot) => (world!.bots.push(bot), bot), (err: Error) => err);

  it("a Redis that may evict keys stops the start with one line naming maxmemory-policy, unless REDIS_ALLOW_EVICTION=true", async () => {
    redis = await ownRedis("--maxmemory-policy", "volatile-lru", "--appendonly", "yes");
    world = await startWorld({}, { STORE_URL: redis.url });
    const refused = await start({});
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/Configuration error: Redis's maxmemory-policy is volatile-lru: .*REDIS_ALLOW_EVICTION=true/);
    const bot = await start({ REDIS_ALLOW_EVICTION: "true" });
    expect(bot).toBeInstanceOf(BotProcess);
    expect((bot as BotProcess).output()).toMatch(/starting anyway because REDIS_ALLOW_EVICTION=true/);
  });

  it("a Redis without an append-only file is a warning; a Redis that refuses CONFIG is a warning too, and the bot starts", async () => {
    redis = await ownRedis("--appendonly", "no");
    world = await startWorld({}, { STORE_URL: redis.url });
    const bot = (await start({})) as BotProcess;
    expect(bot.output()).toMatch(/appendonly is no: a Redis restart loses the books/);
    redis.stop();
    redis = await ownRedis("--rename-command", "CONFIG", "");
    world.env.STORE_URL = redis.url;
    const other = (await start({})) as BotProcess;
    expect(other.output()).toMatch(/could not read Redis's maxmemory-policy/);
  });
});
