// The log feature's public surface: what other features may use of it.
export { createLogger, makeRedactor } from "./logger.js";
export type { Logger } from "./logger.js";
export { startStats } from "./stats.js";
