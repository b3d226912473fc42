import { billedMicros } from "../seedance/index.js";
import type { FalCost, Job, JobState } from "./job.js";

/** fal's bill from the units it reported for the job's result, when it reported them. */
export function costFromUnits(units: number | null, unitPriceMicros: number): FalCost | null {
  return units === null ? null : { micros: billedMicros(units, unitPriceMicros), source: "billed_units" };
}

/**
 * What fal billed for a job the bot ends while it was in `from`, when nothing better is known:
 * nothing if fal never had it; the estimate if fal may have rendered it but cannot be followed
 * (its submit's answer was lost, or the video exists but was not delivered); null while fal
 * still has it (booked once fal reports its end: a cancel is only a request).
 */
export function inferFalCost(job: Pick<Job, "falCost" | "estimate">, from: JobState, falPending: boolean): FalCost | null {
  if (job.falCost) return job.falCost;
  if (falPending) return null;
  if (from === "submitting" || from === "submitted" || from === "running" || from === "delivering") return { micros: job.estimate.micros, source: "assumed" };
  return { micros: 0, source: "none" };
}

/** The job is at fal with a request id the bot can follow to its end. */
export function followable(job: Pick<Job, "state" | "falRequestId">): boolean {
  return (job.state === "submitted" || job.state === "running") && job.falRequestId !== null;
}
