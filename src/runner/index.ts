// The runner feature's public surface: what other features may use of it.
export type { JobStartExtras } from "./live.js";
export { JobRunner } from "./runner.js";
