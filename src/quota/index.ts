// The quota feature's public surface: what other features may use of it.
export { Budget, MAX_ADMIN_USD } from "./budget.js";
export type { GuildCapSetting, JobAccounting } from "./budget.js";
export type { CreditBooks, OperatorTotals, ReserveOutcome } from "./ledger.js";
export { NO_TOTALS, givenAway } from "./ledger.js";
export { renderBudget } from "./render.js";
