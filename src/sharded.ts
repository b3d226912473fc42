import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ShardingManager } from "discord.js";
import { ConfigError, parseConfig } from "./config/index.js";
import { planShards } from "./discord/index.js";

/**
 * `npm run start:sharded`: every shard of this machine (SHARD_IDS, else all of SHARD_COUNT)
 * in a process of its own under discord.js's ShardingManager, which hands each its shard. The
 * processes share one Redis store.
 */
if (existsSync(".env")) process.loadEnvFile(".env");

try {
  const config = parseConfig(process.env);
  const shards = await planShards(config);
  if (shards.ids.length > 1 && !/^rediss?:\/\//.test(config.storeUrl)) {
    throw new ConfigError("Configuration error: start:sharded runs one process per shard, so they need a shared store: set STORE_URL=redis://…");
  }
  // each process gets its own shard from the manager (SHARDS), not this machine's list
  delete process.env.SHARD_IDS;
  const manager = new ShardingManager(fileURLToPath(new URL("./main.js", import.meta.url)), {
    token: config.discordToken,
    totalShards: shards.count,
    shardList: shards.ids,
    mode: "process",
    respawn: true,
    execArgv: ["--max-old-space-size=256", "--max-semi-space-size=4"],
  });
  manager.on("shardCreate", (shard) => console.error(`shard ${shard.id} of ${shards.count} started`));
  const stop = (signal: NodeJS.Signals) => {
    manager.respawn = false;
    for (const shard of manager.shards.values()) shard.process?.kill(signal);
    const force = setTimeout(() => process.exit(1), 12_000);
    force.unref();
    void Promise.all([...manager.shards.values()].map((shard) => new Promise((r) => (shard.process?.exitCode !== null ? r(null) : shard.process.once("exit", r))))).then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  // Discord lets a bot identify one shard per 5 s (more with a larger max_concurrency)
  await manager.spawn({ amount: shards.count, delay: 5_500, timeout: 60_000 });
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
