import { existsSync } from "node:fs";
import { ConfigError, parseConfig } from "./config/index.js";
import { startBot } from "./bot.js";

// `.env` is optional: real environment variables win over it.
if (existsSync(".env")) process.loadEnvFile(".env");

let config;
try {
  config = parseConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

try {
  const bot = await startBot(config);
  const shutdown = (signal: string) => {
    console.error(`${signal} received: finishing state writes, then exiting`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void bot.stop(8_000).then(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
