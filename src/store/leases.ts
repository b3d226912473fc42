import type { Store } from "./index.js";

/**
 * Who drives a job: a process holds a job's lease while it works on it and renews it; a
 * lease that is not renewed (its process died) lapses, and another process takes the job
 * over. On Redis this is one server-side step; an embedded store has one process anyway.
 */
export interface Leases {
  /** Takes or renews the lease; false when another process holds it. */
  acquire(jobId: string): Promise<boolean>;
  release(jobId: string): Promise<void>;
  readonly ttlMs: number;
}

const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

export function createLeases(store: Store, owner: string, ttlMs = 60_000): Leases {
  const redis = store.redis;
  if (!redis) {
    const held = new Set<string>();
    return { ttlMs, acquire: async (id) => (held.add(id), true), release: async (id) => void held.delete(id) };
  }
  const key = (id: string) => `${store.prefix}:lease:${id}`;
  return {
    ttlMs,
    acquire: async (id) => (await redis.eval(ACQUIRE, { keys: [key(id)], arguments: [owner, String(ttlMs)] })) === 1,
    release: async (id) => void (await redis.eval(RELEASE, { keys: [key(id)], arguments: [owner] })),
  };
}
