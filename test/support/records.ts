import type { Job } from "../../src/jobs/job.js";
import type { JobRepository } from "../../src/jobs/repository.js";
import type { Store } from "../../src/store/index.js";
import { createLeases } from "../../src/store/leases.js";

/** Writes a job record as a process that holds its lease would (every job write is fenced). */
export async function writeJob(store: Store, repo: JobRepository, job: Job): Promise<void> {
  const leases = createLeases(store, 60_000);
  // a bot may still hold the job's lease for a moment after it ended (it shows the end on the card)
  let fence = await leases.take(job.id);
  for (let n = 0; !fence && n < 50; n++) {
    await new Promise((r) => setTimeout(r, 100));
    fence = await leases.take(job.id);
  }
  if (!fence) throw new Error(`job ${job.id} is leased by a running bot: stop it first, or use the bot's own paths`);
  try {
    await repo.save(job, fence);
  } finally {
    await leases.release(fence);
  }
}
