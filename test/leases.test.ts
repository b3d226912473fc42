import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../src/store/index.js";
import { createLeases } from "../src/store/leases.js";
import { REDIS_URL, redisAnswers } from "./support/redis.js";

describe("job leases on Redis (several bot processes)", () => {
  let store: Store;
  beforeAll(async () => {
    expect(await redisAnswers(), `Redis must answer at ${REDIS_URL}`).toBe(true);
    store = await openStore(REDIS_URL, { namespace: `test-${randomUUID()}` });
  });
  afterAll(async () => store?.close());

  it("lets one process drive a job, renews for it, and hands over on release", async () => {
    const a = createLeases(store, "process-a", 5_000);
    const b = createLeases(store, "process-b", 5_000);
    expect(await a.acquire("job-1")).toBe(true);
    expect(await b.acquire("job-1")).toBe(false);
    expect(await a.acquire("job-1")).toBe(true); // renewal
    await b.release("job-1"); // not b's to release
    expect(await b.acquire("job-1")).toBe(false);
    await a.release("job-1");
    expect(await b.acquire("job-1")).toBe(true);
  });

  it("lapses when its process stops renewing (it died), so another takes the job over", async () => {
    const dead = createLeases(store, "process-dead", 150);
    const alive = createLeases(store, "process-alive", 150);
    expect(await dead.acquire("job-2")).toBe(true);
    expect(await alive.acquire("job-2")).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    expect(await alive.acquire("job-2")).toBe(true);
  });
});
