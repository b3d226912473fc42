import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/job.js";
import { JobRepository } from "../../src/jobs/repository.js";
import { createLeases } from "../../src/store/leases.js";
import { openStore, type Store } from "../../src/store/index.js";

function newJob(): Job {
  const now = Date.now();
  return {
    id: randomUUID(), state: "image_stored", createdAt: now, updatedAt: now, guildId: "g", channelId: "c", userId: "u",
    progressMessageId: null, sourceUrls: null,
    params: { prompt: "p", imageUrl: "https://x/y.png", duration: "5", resolution: "720p", aspectRatio: "16:9", audio: true },
    estimate: { micros: 1_524_600, upTo: false, seconds: 5, frame: { width: 1280, height: 720 } },
    reservation: { period: "2026-12-03", micros: 1_524_600, status: "planned" }, uploadLimitBytes: 0, falRequestId: null, queuePosition: null,
    runningSince: null, lastLog: null, videoUrl: null, resultMessageId: null, resultSeed: null, error: null, parentJobId: null,
  };
}

/** The store as a process that dies at the first write of `dieAt` sees it: that write and every later one never happen. */
function dyingAt(store: Store, dieAt: "addToSet" | "setFenced"): Store {
  let dead = false;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (prop === dieAt) dead = true;
        if (dead && ["addToSet", "setFenced", "indexAdd", "removeFromSet"].includes(String(prop))) return Promise.reject(new Error("killed"));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe("a job's first save, whatever moment the process dies at", () => {
  for (const dieAt of ["addToSet", "setFenced"] as const) {
    it(`dying at ${dieAt}: the job is either not recorded, or recorded and in the active set the next pass resumes`, async () => {
      const store = await openStore(`sqlite://${join(mkdtempSync(join(tmpdir(), "repo-")), "bot.sqlite")}`);
      try {
        const fence = (await createLeases(store, 60_000).take(`job-${randomUUID()}`))!;
        const job = newJob();
        await expect(new JobRepository(dyingAt(store, dieAt)).save(job, fence)).rejects.toThrow("killed");
        const repo = new JobRepository(store);
        const recorded = (await repo.get(job.id)) !== undefined;
        const active = (await repo.activeIds()).includes(job.id);
        // a recorded job that is not active would never be resumed, its hold never released
        expect(!recorded || active).toBe(true);
      } finally {
        await store.close();
      }
    });
  }
});
