import { openEmbeddedStore } from "./embedded.js";
import { openRedisStore, type RedisStoreOptions } from "./redis.js";

export { StoreUnavailable, isStoreUnavailable } from "./errors.js";
export type { Fence, RedisLike, SqlQuery, Store } from "./types.js";
import type { Store } from "./types.js";

const NAMESPACE = "seedance";

export interface StoreOptions extends RedisStoreOptions {
  /** Key prefix, so several deployments (or test runs) can share one Redis. */
  namespace?: string;
}

export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  if (url.startsWith("redis://") || url.startsWith("rediss://")) {
    // redis://host:port?namespace=name keeps several deployments apart on one server
    const parsed = new URL(url);
    const namespace = options.namespace ?? parsed.searchParams.get("namespace") ?? NAMESPACE;
    parsed.searchParams.delete("namespace");
    return openRedisStore(parsed.toString(), namespace, options);
  }
  return openEmbeddedStore(url, options.namespace ?? NAMESPACE);
}

// What other features use of this one.
export { createLeases } from "./leases.js";
export type { Leases } from "./leases.js";
export { checkRedisForMoney } from "./redis-config.js";
export { CACHE_LIMIT, CachedTable, type TableOptions, type Write } from "./cached-table.js";
