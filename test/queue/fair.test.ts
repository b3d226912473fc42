import { describe, expect, it } from "vitest";
import { FairQueue } from "../../src/queue/fair.js";
import { Slots } from "../../src/queue/slots.js";

/** Acquires in order with one slot, then lets each go: the order the slot was handed out in. */
async function servedOrder(jobs: [id: string, guild: string, member: string][]): Promise<string[]> {
  const slots = new Slots(1);
  const served: string[] = [];
  const waits = jobs.map(([id, guild, member]) => slots.acquire(id, { owner: { guild, member } }).then(() => served.push(id)));
  for (let i = 0; i < jobs.length; i++) {
    await new Promise((r) => setImmediate(r));
    slots.release(served[i]!);
  }
  await Promise.all(waits);
  return served;
}

/** A small deterministic generator, so a failure names its seed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe("the fair order: round-robin by server, then by member", () => {
  it("serves a member's three jobs and another member's one as A1 B1 A2 A3", async () => {
    const served = await servedOrder([
      ["A1", "g", "a"],
      ["A2", "g", "a"],
      ["A3", "g", "a"],
      ["B1", "g", "b"],
    ]);
    expect(served).toEqual(["A1", "B1", "A2", "A3"]);
  });

  it("serves another server's job second, after six of one server", async () => {
    const six = [1, 2, 3, 4, 5, 6].map((i): [string, string, string] => [`S${i}`, "busy", "m"]);
    const served = await servedOrder([...six, ["O1", "other", "x"]]);
    expect(served[1]).toBe("O1");
    expect(served).toEqual(["S1", "O1", "S2", "S3", "S4", "S5", "S6"]);
  });

  it("gives every server one turn per round, and every member of a server one turn per its rounds", () => {
    const q = new FairQueue();
    for (const [id, guild, member] of [
      ["x-a1", "x", "a"], ["x-a2", "x", "a"], ["x-b1", "x", "b"], ["x-b2", "x", "b"],
      ["y-c1", "y", "c"], ["y-c2", "y", "c"], ["z-d1", "z", "d"],
    ] as const) q.add(id, { guild, member });
    expect(q.order()).toEqual(["x-a1", "y-c1", "z-d1", "x-b1", "y-c2", "x-a2", "x-b2"]);
    expect(q.byGuild()).toEqual(new Map([["x", 4], ["y", 2], ["z", 1]]));
  });

  it("keeps the order it announced: next() is always the first of order(), and the rest keep their order", () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const rnd = random(seed);
      const q = new FairQueue();
      const waiting: string[] = [];
      for (let step = 0; step < 400; step++) {
        const roll = rnd();
        if (roll < 0.55) {
          const id = `j${step}`;
          q.add(id, { guild: `g${Math.floor(rnd() * 4)}`, member: `m${Math.floor(rnd() * 3)}` });
          waiting.push(id);
        } else if (roll < 0.65 && waiting.length) {
          const id = waiting.splice(Math.floor(rnd() * waiting.length), 1)[0]!;
          expect(q.remove(id)).toBe(true);
        } else {
          const before = q.order();
          const next = q.next();
          expect(next, `seed ${seed} step ${step}`).toBe(before[0]);
          expect(q.order(), `seed ${seed} step ${step}`).toEqual(before.slice(1));
          if (next) waiting.splice(waiting.indexOf(next), 1);
        }
        expect(q.size).toBe(waiting.length);
      }
    }
  });

  it("lets no job starve: with servers that keep sending, a waiting job has at most one turn of each ahead of it", () => {
    const q = new FairQueue();
    q.add("old", { guild: "g0", member: "m" });
    q.add("old2", { guild: "g0", member: "m" });
    expect(q.next()).toBe("old");
    const others = ["g1", "g2", "g3", "g4", "g5"];
    for (const g of others) q.add(`${g}-0`, { guild: g, member: "m" });
    // each other server sends its next job the moment one of its jobs is served
    let turns = 0;
    for (let n = 1; q.has("old2"); n++) {
      const served = q.next()!;
      if (served !== "old2") q.add(`${served.split("-")[0]}-${n}`, { guild: served.split("-")[0]!, member: "m" });
      turns++;
    }
    expect(turns).toBe(others.length + 1);
  });
});
