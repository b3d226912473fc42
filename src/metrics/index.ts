// The metrics feature's public surface: what other features may use of it.
export { Metrics } from "./metrics.js";
