import { randomUUID } from "node:crypto";
import type { Fence, Store } from "./types.js";

/**
 * Who drives a job: a process takes a job's lease (with a token of its own, new each time) and
 * renews it while it works; a lease that is not renewed (its process died or stalled) lapses,
 * and another process takes the job over. The token is the fence: every write of the job checks
 * it atomically (Store.setFenced), so a process that lost the lease can no longer write or submit.
 */
export interface Leases {
  /** Takes the lease when nobody holds it; null when somebody does. */
  take(name: string): Promise<Fence | null>;
  /** Extends a held lease; false when it lapsed or another process took it. */
  renew(fence: Fence): Promise<boolean>;
  release(fence: Fence): Promise<void>;
  readonly ttlMs: number;
}

export function createLeases(store: Store, ttlMs = 60_000): Leases {
  return {
    ttlMs,
    async take(name) {
      const token = randomUUID();
      return (await store.leaseTake(name, token, ttlMs)) ? { name, token } : null;
    },
    renew: (fence) => store.leaseRenew(fence.name, fence.token, ttlMs),
    release: (fence) => store.leaseRelease(fence.name, fence.token),
  };
}
