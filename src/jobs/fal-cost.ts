import { billedMicros } from "../seedance/pricing.js";
import type { FalCost, Job, JobState } from "./job.js";

/** fal's bill from the units it reported for the job's result, when it reported them. */
export function costFromUnits(units: number | null, unitPriceMicros: number): FalCost | null {
  return units === null ? null : { micros: billedMicros(units, unitPriceMicros), source: "billed_units" };
}

/**
 * What fal billed for a job the bot ends while it was in `from`, when nothing better is known:
 * nothing if fal never had it (or it was cancelled while queued); the estimate if fal may
 * have rendered it (its submit's answer was lost, or the video exists but was not delivered);
 * null while fal still renders it (booked once fal is done).
 */
export function inferFalCost(job: Pick<Job, "falCost" | "estimate">, from: JobState, falPending: boolean): FalCost | null {
  if (job.falCost) return job.falCost;
  if (falPending) return null;
  if (from === "submitting" || from === "running" || from === "delivering") return { micros: job.estimate.micros, source: "assumed" };
  return { micros: 0, source: "none" };
}
