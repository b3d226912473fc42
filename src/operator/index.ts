// The operator feature's public surface: what other features may use of it.
export { Operator, PAUSE_CHANNEL, type Origin } from "./operator.js";
export { AuditLog, type AuditAction, type AuditEntry } from "./audit.js";
export { parseGuildCap, renderOperatorStatus } from "./status.js";
export type { StatusDeps } from "./status.js";
