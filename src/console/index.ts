// The console feature's public surface: what the wiring uses of it.
export { consolePlugin } from "./routes.js";
export type { ConsoleDeps } from "./deps.js";
