import { createHmac, randomBytes } from "node:crypto";

export const DISCORD_EPOCH = 1420070400000n;

let increment = 0n;

/** A real-shaped snowflake (17-19 digits) whose timestamp discord.js can decode. */
export function snowflake(at: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  const ms = BigInt(Math.floor(at)) - DISCORD_EPOCH;
  return ((ms << 22n) | (1n << 17n) | (1n << 12n) | increment).toString();
}

export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

export function isSnowflake(s: unknown): s is string {
  return typeof s === "string" && /^\d{17,20}$/.test(s);
}

/** Interaction tokens look like "aW50ZXJhY3Rpb246<id>:<random>" in base64url, long and URL-safe. */
export function interactionToken(interactionId: string): string {
  const raw = `interaction:${interactionId}:${randomBytes(48).toString("base64url")}`;
  return `aW50ZXJhY3Rpb24${Buffer.from(raw).toString("base64url")}`;
}

export function sessionId(): string {
  return randomBytes(16).toString("hex");
}

/** Signs a CDN path like Discord's ex/is/hm query. */
export class UrlSigner {
  private readonly secret = randomBytes(32);
  constructor(private ttlMs: number) {}

  setTtl(ms: number): void {
    this.ttlMs = ms;
  }

  sign(path: string, now = Date.now()): string {
    const is = Math.floor(now / 1000).toString(16);
    const ex = Math.floor((now + this.ttlMs) / 1000).toString(16);
    return `ex=${ex}&is=${is}&hm=${this.hmac(path, ex, is)}&`;
  }

  /** Returns null when valid, else the reason. */
  verify(path: string, query: URLSearchParams, now = Date.now()): string | null {
    const ex = query.get("ex");
    const is = query.get("is");
    const hm = query.get("hm");
    if (!ex || !is || !hm) return "missing signature";
    if (this.hmac(path, ex, is) !== hm) return "bad signature";
    if (parseInt(ex, 16) * 1000 < now) return "expired";
    return null;
  }

  private hmac(path: string, ex: string, is: string): string {
    return createHmac("sha256", this.secret).update(`${path}|${ex}|${is}`).digest("hex");
  }
}
