// The config feature's public surface: what other features may use of it.
export { ConfigError, checkShards, parseConfig } from "./env.js";
export type { Config, CreditPack } from "./env.js";
export { MAX_CREDIT_PACKS } from "./fields.js";
