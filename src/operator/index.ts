// The operator feature's public surface: what other features may use of it.
export { Operator, PAUSE_CHANNEL } from "./operator.js";
export { parseGuildCap, renderOperatorStatus } from "./status.js";
export type { StatusDeps } from "./status.js";
