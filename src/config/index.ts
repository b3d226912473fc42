// The config feature's public surface: what other features may use of it.
export { ConfigError, checkShards, parseConfig } from "./env.js";
export type { Config } from "./env.js";
