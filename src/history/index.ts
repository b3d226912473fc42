// The history feature's public surface: what other features may use of it.
export { historyPage, renderHistory } from "./history.js";
export type { HistoryDeps } from "./history.js";
