import { createHash } from "node:crypto";
import type { RedisLike } from "../store/index.js";
import { ledgerKeys as K, type Ledger, type Reservation, type ReserveLimits, type ReserveOutcome, type Usage } from "./ledger.js";

/**
 * The ledger on Redis: each step is one Lua script, run atomically by the server, so any
 * number of bot processes share budgets exactly. Keys: user and global totals are hashes
 * (spent, reserved), in-flight counts are integers, a reservation is a hash (micros, state).
 */
const KEEP_SECONDS = 60 * 86_400; // totals outlive the longest period (a month) comfortably

const RESERVE = `
local existing = redis.call('HGET', KEYS[4], 'state')
if existing == 'held' then return {1, 0} end
if existing then return {0, 4} end
local amount = tonumber(ARGV[1])
local inflight = tonumber(redis.call('GET', KEYS[3]) or '0')
if inflight >= tonumber(ARGV[4]) then return {0, 3, inflight} end
local us = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local ur = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
local left = tonumber(ARGV[2]) - us - ur
if amount > left then return {0, 1, left} end
local cap = tonumber(ARGV[3])
if cap >= 0 then
  local gs = tonumber(redis.call('HGET', KEYS[2], 'spent') or '0')
  local gr = tonumber(redis.call('HGET', KEYS[2], 'reserved') or '0')
  if amount > cap - gs - gr then return {0, 2, cap - gs - gr} end
end
redis.call('HINCRBY', KEYS[1], 'reserved', amount)
redis.call('HINCRBY', KEYS[2], 'reserved', amount)
redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[4], 'micros', amount, 'state', 'held')
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[5]) end
return {1, 1}
`;

const RELEASE = `
if redis.call('HGET', KEYS[1], 'state') ~= 'held' then return 0 end
local held = tonumber(redis.call('HGET', KEYS[1], 'micros'))
local charge = math.min(tonumber(ARGV[1]), held)
redis.call('HINCRBY', KEYS[2], 'reserved', -held)
redis.call('HINCRBY', KEYS[2], 'spent', charge)
redis.call('HINCRBY', KEYS[3], 'reserved', -held)
redis.call('HINCRBY', KEYS[3], 'spent', charge)
if tonumber(redis.call('GET', KEYS[4]) or '0') > 0 then redis.call('DECR', KEYS[4]) end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'actual', charge)
return 1
`;

const RESET = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'spent', 0) end
return 1
`;

interface EvalShaClient extends RedisLike {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  hGetAll(key: string): Promise<Record<string, string>>;
  get(key: string): Promise<string | null>;
}

export class RedisLedger implements Ledger {
  private readonly client: EvalShaClient;

  constructor(
    client: RedisLike,
    private readonly prefix: string,
  ) {
    this.client = client as EvalShaClient;
  }

  private key(k: string): string {
    return `${this.prefix}:${k}`;
  }

  /** EVALSHA first (the script text is sent once per server), EVAL when the server lacks it. */
  private async run(script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    const sha = createHash("sha1").update(script).digest("hex");
    const options = { keys, arguments: args.map(String) };
    try {
      return await this.client.evalSha(sha, options);
    } catch (err) {
      if (!String((err as Error).message).includes("NOSCRIPT")) throw err;
      return this.client.eval(script, options);
    }
  }

  private keysFor(r: Reservation): { user: string; global: string; inFlight: string; reservation: string } {
    return {
      user: this.key(K.user(r.period, r.guildId, r.userId)),
      global: this.key(K.global(r.period)),
      inFlight: this.key(K.inFlight(r.guildId, r.userId)),
      reservation: this.key(K.reservation(r.jobId)),
    };
  }

  async reserve(r: Reservation, limits: ReserveLimits): Promise<ReserveOutcome> {
    const k = this.keysFor(r);
    const [ok, reason, value] = (await this.run(RESERVE, [k.user, k.global, k.inFlight, k.reservation], [
      r.micros,
      limits.userMicros,
      limits.capMicros ?? -1,
      limits.maxInFlight,
      KEEP_SECONDS,
    ])) as [number, number, number?];
    if (ok === 1) return { ok: true };
    if (reason === 3) return { ok: false, reason: "in_flight", inFlight: Number(value) };
    if (reason === 4) return { ok: false, reason: "released" };
    return { ok: false, reason: reason === 2 ? "spend_cap" : "budget", remainingMicros: Math.max(0, Number(value)) };
  }

  private async release(r: Reservation, actual: number, state: "settled" | "refunded"): Promise<boolean> {
    const k = this.keysFor(r);
    return (await this.run(RELEASE, [k.reservation, k.user, k.global, k.inFlight], [actual, state])) === 1;
  }

  settle(r: Reservation, actualMicros: number): Promise<boolean> {
    return this.release(r, actualMicros, "settled");
  }

  refund(r: Reservation): Promise<boolean> {
    return this.release(r, 0, "refunded");
  }

  async usage(guildId: string, userId: string, period: string): Promise<Usage> {
    const [t, inFlight] = await Promise.all([this.client.hGetAll(this.key(K.user(period, guildId, userId))), this.client.get(this.key(K.inFlight(guildId, userId)))]);
    return { spentMicros: Number(t.spent ?? 0), reservedMicros: Number(t.reserved ?? 0), inFlight: Number(inFlight ?? 0) };
  }

  async globalUsage(period: string): Promise<Omit<Usage, "inFlight">> {
    const t = await this.client.hGetAll(this.key(K.global(period)));
    return { spentMicros: Number(t.spent ?? 0), reservedMicros: Number(t.reserved ?? 0) };
  }

  async forget(jobIds: string[]): Promise<void> {
    if (jobIds.length) await this.client.del(jobIds.map((id) => this.key(K.reservation(id))));
  }

  /** Every ledger key on Redis expires by itself (KEEP_SECONDS after its last change). */
  async prune(): Promise<number> {
    return 0;
  }

  async resetSpent(guildId: string, userId: string, period: string): Promise<void> {
    await this.run(RESET, [this.key(K.user(period, guildId, userId))], []);
  }
}
