import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FairQueue } from "../../src/queue/fair.js";
import { SharedSlots } from "../../src/queue/shared-slots.js";
import { openStore, type Store } from "../../src/store/index.js";
import { REDIS_URL, redisAnswers } from "../support/redis.js";

/** Two processes' pools on one Redis, each with its own connection. */
let stores: Store[] = [];
const pools: SharedSlots[] = [];

beforeAll(async () => {
  // Redis is part of the test environment: its absence fails the suite rather than skipping it.
  expect(await redisAnswers(), `Redis must answer at ${REDIS_URL} (start redis-server)`).toBe(true);
  const namespace = `test-${randomUUID()}`;
  stores = [await openStore(REDIS_URL, { namespace }), await openStore(REDIS_URL, { namespace })];
});

afterAll(async () => {
  for (const p of pools) p.wakeAll();
  for (const s of stores) await s.close();
});

function processes(capacity: number): [SharedSlots, SharedSlots] {
  const key = `${stores[0]!.prefix}:slots-${randomUUID()}`;
  const made = stores.map((s) => new SharedSlots(s.redis!, key, capacity, 30_000, (err) => { throw err; }, (name) => s.leaseKey(name), undefined, 20));
  pools.push(...made);
  return made as [SharedSlots, SharedSlots];
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (const end = Date.now() + 5_000; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) if (await check()) return;
  throw new Error(`timed out waiting for ${what}`);
}

describe("the fair order shared by processes on Redis", () => {
  it("hands one slot to A1 B1 A2 A3 when a member's three jobs are on one process and another member's job on the other", async () => {
    const [one, two] = processes(1);
    const served: string[] = [];
    const ask = (pool: SharedSlots, id: string, member: string) => {
      void pool.acquire(id, { owner: { guild: "g", member } }).then((ok) => ok && served.push(id));
      return until(async () => served.includes(id) || (await one.waitingOrder()).includes(id), `${id} to wait`);
    };
    await ask(one, "A1", "a");
    await ask(one, "A2", "a");
    await ask(one, "A3", "a");
    await ask(two, "B1", "b");
    expect(await two.waitingOrder()).toEqual(["B1", "A2", "A3"]);
    for (let i = 0; i < 4; i++) {
      await until(() => served.length > i, `the ${i + 1}th grant`);
      (["A1", "A2", "A3"].includes(served[i]!) ? one : two).release(served[i]!);
    }
    expect(served).toEqual(["A1", "B1", "A2", "A3"]);
  });

  it("keeps the same order as one process's queue, whatever joins, leaves or is served, on whichever process", async () => {
    const pair = processes(1);
    const local = new FairQueue();
    let s = 7;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const where = new Map<string, SharedSlots>();
    const granted: string[] = [];
    let holder: string | undefined;
    // the first job takes the slot; its turn counts on both sides
    void pair[0].acquire("first", { owner: { guild: "g0", member: "m0" } }).then(() => granted.push("first"));
    local.add("first", { guild: "g0", member: "m0" });
    local.next();
    await until(() => granted.length === 1, "the first grant");
    holder = "first";
    for (let step = 0; step < 120; step++) {
      const roll = rnd();
      const waiting = local.order();
      if (roll < 0.55 || !waiting.length) {
        const id = `j${step}`;
        const owner = { guild: `g${Math.floor(rnd() * 3)}`, member: `m${Math.floor(rnd() * 3)}` };
        const pool = pair[Math.floor(rnd() * 2)]!;
        where.set(id, pool);
        void pool.acquire(id, { owner }).then((ok) => ok && granted.push(id));
        local.add(id, owner);
      } else if (roll < 0.7) {
        const id = waiting[Math.floor(rnd() * waiting.length)]!;
        where.get(id)!.withdraw(id);
        local.remove(id);
      } else {
        const expected = local.next()!;
        const before = granted.length;
        (where.get(holder!) ?? pair[0]).release(holder!);
        await until(() => granted.length > before, `step ${step}: a grant`);
        expect(granted.at(-1), `step ${step}`).toBe(expected);
        holder = expected;
      }
      await until(async () => JSON.stringify(await pair[1].waitingOrder()) === JSON.stringify(local.order()), `step ${step}: the same order`);
    }
    expect(granted.length).toBeGreaterThan(10);
  });

  it("tells each waiting job its place in the whole order, on its own process", async () => {
    const [one, two] = processes(1);
    const places = new Map<string, number>();
    void one.acquire("h", { owner: { guild: "g", member: "h" } });
    await until(async () => (await one.waitingOrder()).length === 0, "the holder");
    for (const [pool, id, member] of [[one, "a1", "a"], [one, "a2", "a"], [two, "b1", "b"]] as const) {
      void pool.acquire(id, { owner: { guild: "g", member }, onPlace: (p) => places.set(id, p) });
      await until(async () => (await one.waitingOrder()).includes(id), `${id} to wait`);
    }
    await until(() => places.get("a1") === 1 && places.get("b1") === 2 && places.get("a2") === 3, "the places a1 1, b1 2, a2 3");
    expect(await one.waitingByGuild()).toEqual(new Map([["g", 3]]));
  });
});
