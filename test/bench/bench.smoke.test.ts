import { describe, expect, it } from "vitest";
import { report, runBench, SIZES } from "../../bench/run.js";
import { REDIS_URL } from "../support/redis.js";

// The benchmark itself is `npm run bench` (minutes); this runs every scenario at a tiny size so it cannot rot.
describe("benchmark smoke run", () => {
  it("measures every figure through the real bot process", async () => {
    const results = await runBench(SIZES.smoke, REDIS_URL);
    const text = report(results, SIZES.smoke);
    for (const figure of ["acknowledgement latency", "Discord REST calls per job", "fal status requests", "memory", "memory of one job", "delivery overhead", "budget operations", "store per job", "jobs delivered per minute", "deep queue", "Where the heap goes"]) {
      expect(text).toContain(figure);
    }
    expect(results.ack.bot.p99).toBeGreaterThan(0);
    expect(results.calls.restPerJob).toBeGreaterThanOrEqual(4); // acknowledgement, first edit, post, reaction at least
    expect(results.calls.falStatusPerJobMinute).toBeGreaterThan(0);
    expect(results.mem.peakRssMb).toBeGreaterThan(20);
    for (const run of [results.oneJob.npmStart, results.oneJob.compiled, results.oneJob.tsx, results.oneJob.oldNpmStart]) {
      expect(run.mib).toBeGreaterThan(20);
      expect(text).toContain(`${run.mib.toFixed(0)} MiB`);
    }
    // npm start is the whole tree: npm itself and the bot under it
    expect(Object.keys(results.oneJob.npmStart.parts)).toEqual(expect.arrayContaining(["npm", "node main.js"]));
    expect(results.deliver.ratio).toBeGreaterThan(0);
    expect(results.ledger.sqlite).toBeGreaterThan(0);
    expect(results.ledger.redis).toBeGreaterThan(0);
    expect(results.storage.sqliteBytesPerJob).toBeGreaterThan(500);
    expect(results.storage.retainedAfterSweep).toBe(results.storage.expectedRetained);
    expect(results.scale.map((s) => s.processes)).toEqual([1, 2]);
    for (const s of results.scale) expect(s.jobsPerMinute).toBeGreaterThan(0);
    const [queue] = results.queue;
    expect(queue!.peakRssMb).toBeGreaterThan(20);
    expect(queue!.cardsShowingPlace).toBeGreaterThan(0); // the waiting cards show their places
    expect(queue!.granted).toBeGreaterThan(0); // and the queue moved while it was measured
    expect(queue!.heap.length).toBeGreaterThan(0);
  }, 240_000); // every scenario, and four more bot starts for the memory of one job
});
