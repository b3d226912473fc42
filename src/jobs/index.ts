// The jobs feature's public surface: what other features may use of it.
export { costFromUnits, followable, inferFalCost } from "./fal-cost.js";
export { JobFailure, backoffMs, isBarred, isChannelGone, isGone, isMessageGone, isTransient } from "./faults.js";
export { JOB_STATES, hasOpenEnds, isFinal, reservationStatus } from "./job.js";
export type { FalCost, Job, JobState } from "./job.js";
export { JobRepository, LeaseLost } from "./repository.js";
export { startRetention } from "./retention.js";
export { CANCEL_CHANNEL, WEBHOOK_CHANNEL, receiveFalWebhook } from "./webhooks.js";
