import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/index.js";
import { createLeases } from "../../src/store/leases.js";
import { REDIS_URL, redisAnswers } from "../support/redis.js";

const backends = [
  { name: "Redis", open: () => openStore(REDIS_URL, { namespace: `test-${randomUUID()}` }) },
  { name: "SQLite", open: () => openStore(`sqlite://${join(mkdtempSync(join(tmpdir(), "leases-")), "bot.sqlite")}`) },
  { name: "memory", open: () => openStore("memory://") },
];

for (const backend of backends) {
  describe(`job leases and fenced writes (${backend.name})`, () => {
    let store: Store;
    beforeAll(async () => {
      if (backend.name === "Redis") expect(await redisAnswers(), `Redis must answer at ${REDIS_URL}`).toBe(true);
      store = await backend.open();
    });
    afterAll(async () => store?.close());

    it("lets one process drive a job, renews for it, and hands over on release", async () => {
      const a = createLeases(store, 5_000);
      const b = createLeases(store, 5_000);
      const fence = (await a.take("job-1"))!;
      expect(fence).not.toBeNull();
      expect(await b.take("job-1")).toBeNull();
      expect(await a.renew(fence)).toBe(true);
      await b.release({ name: "job-1", token: "not-b-s" }); // not b's to release
      expect(await b.take("job-1")).toBeNull();
      await a.release(fence);
      const taken = (await b.take("job-1"))!;
      expect(taken.token).not.toBe(fence.token); // a new token for every taking
      expect(await a.renew(fence)).toBe(false); // the old holder's renewal fails: it lost the job
    });

    it("lapses when its process stops renewing (it died or stalled), so another takes the job over and the old one cannot renew", async () => {
      const dead = createLeases(store, 150);
      const alive = createLeases(store, 150);
      const old = (await dead.take("job-2"))!;
      expect(await alive.take("job-2")).toBeNull();
      await new Promise((r) => setTimeout(r, 250));
      expect(await alive.take("job-2")).not.toBeNull();
      expect(await dead.renew(old)).toBe(false);
    });

    it("a fenced write lands only while the writer holds the lease, in one step with its links, and reads back through keyv", async () => {
      const a = createLeases(store, 150);
      const b = createLeases(store, 60_000);
      const fenceA = (await a.take("job-3"))!;
      // keyv's own encoding: a string starting with ':' and nested values come back as written
      const record = { id: "job-3", state: "running", note: ":colon first", nested: { n: 1 } };
      expect(await store.setFenced(fenceA, [["job:job-3", record], ["falrequest:r-3", "job-3"]])).toBe(true);
      expect(await store.get("job:job-3")).toEqual(record);
      expect(await store.get("falrequest:r-3")).toBe("job-3");

      await new Promise((r) => setTimeout(r, 250)); // A stalls past its lease
      const fenceB = (await b.take("job-3"))!;
      expect(await store.setFenced(fenceB, [["job:job-3", { ...record, state: "delivered" }]])).toBe(true);
      // A wakes up and writes as if it still drove the job: nothing of it lands, not even its link
      expect(await store.setFenced(fenceA, [["job:job-3", { ...record, state: "failed" }], ["falrequest:r-4", "job-3"]])).toBe(false);
      expect(await store.get<{ state: string }>("job:job-3")).toMatchObject({ state: "delivered" });
      expect(await store.get("falrequest:r-4")).toBeUndefined();

      // a lapsed lease that nobody took is not the writer's either: it must take it again
      const c = createLeases(store, 100);
      const fenceC = (await c.take("job-4"))!;
      await new Promise((r) => setTimeout(r, 200));
      expect(await store.setFenced(fenceC, [["job:job-4", { id: "job-4" }]])).toBe(false);
    });
  });
}
