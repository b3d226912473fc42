// The seedance feature's public surface: what other features may use of it.
export { createSeedance } from "./client.js";
export type { FalStatus, Seedance } from "./client.js";
export { describeFalError } from "./errors.js";
export { MAX_PROMPT_LENGTH, MAX_SEED, buildSeedanceInput, pictureSizeProblem, seedanceOutputSchema } from "./input.js";
export type { SeedanceOutput, VideoParams } from "./input.js";
export { readMp4Info } from "./mp4.js";
export { ASPECT_RATIOS, FRAME_SIZES, MAX_SECONDS, MIN_SECONDS, RESOLUTIONS, billedMicros, costMicros, estimate, formatUsd, perSecondMicros, tierOf, unitPriceMicros, usdToMicros } from "./pricing.js";
export type { AspectRatio, Duration, Estimate, Resolution, Tier } from "./pricing.js";
export { SubmitOutcomeUnknown } from "./submit.js";
export { FalWebhookVerifier } from "./webhook.js";
export type { FalWebhook } from "./webhook.js";
