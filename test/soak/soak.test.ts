import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSoak } from "./run.js";
import { saveOutputs } from "./world.js";

/**
 * A short run of the seeded fault simulation (`npm run soak` runs thousands of orders): a fixed
 * seed's faults, kills, stalls (and Redis restarts) through the bot as `npm start` runs it, then
 * every invariant of the books. A violation names itself in the failure.
 */
describe("the seeded fault simulation, briefly", () => {
  for (const mode of ["sqlite", "redis"] as const) {
    it(`seed 1 on ${mode === "sqlite" ? "SQLite, one process" : "Redis, two processes"}: every invariant holds`, async () => {
      const report = await runSoak({ seed: 1, mode, orders: 40, quiet: true });
      if (report.violations.length) console.error(`the bots' logs: ${saveOutputs(mkdtempSync(join(tmpdir(), `soak-1-${mode}-`)), report.logs).join(", ")}`);
      expect(report.violations.map((v) => `${v.invariant}: ${v.detail}`)).toEqual([]);
      // the run did meet faults and did deliver, so the invariants had something to check
      expect([...report.faults.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
      expect(report.orderOutcomes.get("delivered") ?? 0).toBeGreaterThan(10);
      expect(report.checked.get("every render fal billed is on the books") ?? 0).toBeGreaterThan(10);
    }, 240_000);
  }
});
