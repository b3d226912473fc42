import type { RedisLike } from "./types.js";

/** What the bot found in Redis's settings at start, for the operator. */
export interface RedisCheck {
  /** Refuse to start: Redis may evict keys, and the books with them. */
  refuse?: string;
  warnings: string[];
}

/**
 * The books (members' spending, holds, the operator's totals, caps, credits) live in Redis
 * without expiry. A Redis that evicts keys under memory pressure would drop them and reset the
 * caps mid-period, so anything but `maxmemory-policy noeviction` stops the start unless the
 * operator allows it; a Redis without an append-only file loses the books since its last
 * snapshot when it restarts, which is worth a warning. Where CONFIG is not allowed (some managed
 * services), the operator is told the settings could not be checked.
 */
export async function checkRedisForMoney(redis: RedisLike, allowEviction: boolean): Promise<RedisCheck> {
  const warnings: string[] = [];
  let policy: string | undefined;
  let appendonly: string | undefined;
  try {
    policy = (await redis.configGet("maxmemory-policy"))["maxmemory-policy"];
    appendonly = (await redis.configGet("appendonly")).appendonly;
  } catch {
    warnings.push("could not read Redis's maxmemory-policy and appendonly (CONFIG is not allowed): make sure maxmemory-policy is noeviction and appendonly is yes");
    return { warnings };
  }
  if (policy !== undefined && policy !== "noeviction") {
    const why = `Redis's maxmemory-policy is ${policy}: under memory pressure it may evict the budgets and the operator's books (set maxmemory-policy noeviction)`;
    if (!allowEviction) return { refuse: `Configuration error: ${why}, or set REDIS_ALLOW_EVICTION=true to start anyway`, warnings };
    warnings.push(`${why}; starting anyway because REDIS_ALLOW_EVICTION=true`);
  }
  if (appendonly === "no") warnings.push("Redis's appendonly is no: a Redis restart loses the books written since its last snapshot (set appendonly yes)");
  return { warnings };
}
