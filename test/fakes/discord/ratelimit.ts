// Discord-like per-route rate limits: one bucket per route template and major resource.
import { createHash } from "node:crypto";

export interface BucketConfig {
  limit: number;
  windowMs: number;
}

/** Limit advertised (and enforced) on routes without a configured limit. */
export const GENEROUS: BucketConfig = { limit: 50, windowMs: 1000 };

interface Bucket {
  count: number;
  resetAt: number;
}

export interface RateResult {
  headers: Record<string, string>;
  /** Seconds to wait when limited, else undefined. */
  retryAfter?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** `config` false: headers only, never 429. */
  constructor(private readonly config: BucketConfig | false) {}

  static bucketHash(template: string, method: string): string {
    return createHash("md5").update(`${method} ${template}`).digest("hex");
  }

  take(template: string, method: string, major: string, limited: boolean, now = Date.now()): RateResult {
    const hash = RateLimiter.bucketHash(template, method);
    if (this.config === false) {
      return { headers: headers(1000, 999, now + 1000, 1, hash) };
    }
    const cfg = limited ? this.config : GENEROUS;
    const key = `${hash}:${major}`;
    let b = this.buckets.get(key);
    if (!b || b.resetAt <= now) {
      b = { count: 0, resetAt: now + cfg.windowMs };
      this.buckets.set(key, b);
    }
    const over = b.count >= cfg.limit;
    if (!over) b.count++;
    const resetAfter = Math.max(0, b.resetAt - now) / 1000;
    const h = headers(cfg.limit, cfg.limit - b.count, b.resetAt, resetAfter, hash);
    if (over) {
      h["Retry-After"] = resetAfter.toFixed(3);
      h["X-RateLimit-Scope"] = "user";
      return { headers: h, retryAfter: resetAfter };
    }
    return { headers: h };
  }
}

function headers(limit: number, remaining: number, resetAt: number, resetAfter: number, hash: string): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(limit),
    "X-RateLimit-Remaining": String(Math.max(0, remaining)),
    "X-RateLimit-Reset": (resetAt / 1000).toFixed(3),
    "X-RateLimit-Reset-After": resetAfter.toFixed(3),
    "X-RateLimit-Bucket": hash,
  };
}
