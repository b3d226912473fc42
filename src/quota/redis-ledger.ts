import { createHash } from "node:crypto";
import type { RedisLike } from "../store/index.js";
import {
  ledgerKeys as K,
  type CreditBooks,
  type CreditGrant,
  type GrantOutcome,
  type Ledger,
  type OperatorBooks,
  type OperatorTotals,
  type Reservation,
  type ReserveLimits,
  type ReserveOutcome,
  type Usage,
} from "./ledger.js";

/**
 * The ledger on Redis: each step is one Lua script, run atomically by the server, so any
 * number of bot processes share budgets and caps exactly. Member totals and the operator's
 * books are hashes, in-flight counts integers, a reservation a hash with the member's side
 * (`state`) and the operator's (`ops`), the servers of a period a set.
 *
 * Nothing that holds money expires by itself: under a `volatile-*` eviction policy keys with a
 * TTL go first, which would reset the caps mid-period. Each step notes when it last touched
 * its keys in a sorted index instead (by Redis's own clock), and `prune` deletes what has not
 * been touched since, as the SQLite ledger does with its rows' times.
 */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
const TOUCHED = "ledger:touched";

// KEYS[8]: the member's credits; ARGV[8]: '1' when credits pay what the budget and the caps leave.
// The split is src/quota/split.ts's splitHold, in Lua.
const RESERVE = `
${NOW}
local existing = redis.call('HGET', KEYS[5], 'state')
if existing == 'held' then return {1, 0, 0} end
if existing then return {0, 4} end
local amount = tonumber(ARGV[1])
local inflight = tonumber(redis.call('GET', KEYS[4]) or '0')
if inflight >= tonumber(ARGV[5]) then return {0, 3, inflight} end
local credits = ARGV[8] == '1'
local balance = 0
if credits then balance = tonumber(redis.call('GET', KEYS[8]) or '0') end
if credits and balance < 0 then return {0, 6, -balance} end
local function num(key, field) return tonumber(redis.call('HGET', key, field) or '0') end
local function given(key) return math.max(0, num(key, 'billed') + num(key, 'reserved') - num(key, 'creditReserved') - num(key, 'creditBilled')) end
local userLeft = tonumber(ARGV[2]) - num(KEYS[1], 'spent') - num(KEYS[1], 'reserved')
local guildCap = tonumber(ARGV[3])
local guildLeft = nil
if guildCap >= 0 then guildLeft = guildCap - given(KEYS[2]) end
local cap = tonumber(ARGV[4])
local capLeft = nil
if cap >= 0 then capLeft = cap - given(KEYS[3]) end
local free = amount
for _, left in ipairs({userLeft, guildLeft or amount, capLeft or amount}) do free = math.min(free, math.max(0, left)) end
local credit = amount - free
if credit > 0 and not (credits and credit <= balance) then
  if amount > userLeft then return {0, 1, userLeft, balance} end
  if guildLeft and amount > guildLeft then return {0, 5, guildLeft, balance} end
  return {0, 2, capLeft or 0, balance}
end
redis.call('HINCRBY', KEYS[1], 'reserved', free)
for i = 2, 3 do
  redis.call('HINCRBY', KEYS[i], 'reserved', amount)
  if credit > 0 then redis.call('HINCRBY', KEYS[i], 'creditReserved', credit) end
end
redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[5], 'micros', amount, 'state', 'held', 'ops', 'held', 'credit', credit)
if credit > 0 then redis.call('DECRBY', KEYS[8], credit) end
redis.call('SADD', KEYS[6], ARGV[7])
for i = 1, 6 do redis.call('ZADD', KEYS[7], now, KEYS[i]) end
return {1, 1, credit}
`;

// ARGV[2]: the member's side to close ('settled', 'refunded', or '' to leave it); ARGV[3]: fal's bill (-1: not known yet)
const CLOSE = `
${NOW}
for i = 1, 5 do redis.call('ZADD', KEYS[6], now, KEYS[i]) end
local held = tonumber(redis.call('HGET', KEYS[1], 'micros') or '-1')
if held < 0 then
  -- refunding a hold that never landed closes it all the same: a reserve arriving late (from a
  -- process that stalled past its lease) then finds it released instead of holding money forever
  if ARGV[2] == 'refunded' then
    local billed = math.max(0, tonumber(ARGV[3]))
    redis.call('HSET', KEYS[1], 'micros', 0, 'state', 'refunded', 'actual', 0, 'ops', 'billed', 'billed', billed)
    for i = 3, 4 do redis.call('HINCRBY', KEYS[i], 'billed', billed) end
  end
  return 0
end
local ops = redis.call('HGET', KEYS[1], 'ops')
local changed = 0
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 'state') == 'held' then
  -- the budget's part is charged first, then credits; what is not charged goes back where it came from
  local credit = tonumber(redis.call('HGET', KEYS[1], 'credit') or '0')
  local charge = math.min(tonumber(ARGV[1]), held)
  local freeCharge = math.min(charge, held - credit)
  local creditCharge = charge - freeCharge
  redis.call('HINCRBY', KEYS[2], 'reserved', credit - held) -- never -0, which Redis refuses as an integer
  redis.call('HINCRBY', KEYS[2], 'spent', freeCharge)
  if tonumber(redis.call('GET', KEYS[5]) or '0') > 0 then redis.call('DECR', KEYS[5]) end
  if credit > 0 then
    redis.call('INCRBY', KEYS[7], credit - creditCharge)
    redis.call('DECRBY', KEYS[8], creditCharge)
  end
  if ops then
    for i = 3, 4 do
      redis.call('HINCRBY', KEYS[i], 'charged', charge)
      if ARGV[2] == 'refunded' then redis.call('HINCRBY', KEYS[i], 'refunded', held) end
      if creditCharge > 0 then redis.call('HINCRBY', KEYS[i], 'creditCharged', creditCharge) end
    end
  end
  redis.call('HSET', KEYS[1], 'state', ARGV[2], 'actual', charge)
  changed = 1
end
local billed = tonumber(ARGV[3])
if billed >= 0 and ops == 'held' then
  -- the bill is split as the hold was: ledger.ts's creditShare, in Lua
  local credit = tonumber(redis.call('HGET', KEYS[1], 'credit') or '0')
  local share = 0
  if held > 0 and credit > 0 then share = math.floor(billed * credit / held + 0.5) end
  for i = 3, 4 do
    redis.call('HINCRBY', KEYS[i], 'reserved', 0 - held)
    redis.call('HINCRBY', KEYS[i], 'billed', billed)
    if credit > 0 then
      redis.call('HINCRBY', KEYS[i], 'creditReserved', 0 - credit)
      redis.call('HINCRBY', KEYS[i], 'creditBilled', share)
    end
  end
  redis.call('HSET', KEYS[1], 'ops', 'billed', 'billed', billed)
  if ARGV[2] == '' then changed = 1 end
end
return changed
`;

// KEYS: the purchase, the member's credits, the sum of balances, the period's credit books, the touched index.
const GRANT = `
${NOW}
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'credited' then return 'duplicate' end
if state then return 'revoked' end
local micros = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'userId', ARGV[1], 'micros', micros, 'state', 'credited', 'skuId', ARGV[3], 'test', ARGV[4])
redis.call('INCRBY', KEYS[2], micros)
redis.call('INCRBY', KEYS[3], micros)
redis.call('HINCRBY', KEYS[4], 'sold', micros)
redis.call('ZADD', KEYS[5], now, KEYS[4])
return 'credited'
`;

const REVOKE = `
${NOW}
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'revoked' then return 0 end
if not state then
  redis.call('HSET', KEYS[1], 'userId', ARGV[1], 'micros', 0, 'state', 'revoked')
  return 0
end
local micros = tonumber(redis.call('HGET', KEYS[1], 'micros'))
redis.call('HSET', KEYS[1], 'state', 'revoked')
redis.call('DECRBY', KEYS[2], micros)
redis.call('DECRBY', KEYS[3], micros)
redis.call('HINCRBY', KEYS[4], 'revoked', micros)
redis.call('ZADD', KEYS[5], now, KEYS[4])
return 1
`;

const RESET = `
${NOW}
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'spent', 0) redis.call('ZADD', KEYS[2], now, KEYS[1]) end
return 1
`;

// Deletes the given keys that were not touched since ARGV[1] (checked again here: a step may have
// touched one meanwhile), except an in-flight count above zero; returns how many.
const PRUNE = `
local removed = 0
for i = 2, #KEYS do
  local at = redis.call('ZSCORE', KEYS[1], KEYS[i])
  if at and tonumber(at) < tonumber(ARGV[1]) then
    local keep = string.find(KEYS[i], ':ledger:inflight:', 1, true) and tonumber(redis.call('GET', KEYS[i]) or '0') > 0
    if not keep then
      redis.call('DEL', KEYS[i])
      redis.call('ZREM', KEYS[1], KEYS[i])
      removed = removed + 1
    end
  end
end
return removed
`;


const toTotals = (h: Record<string, string>): OperatorTotals => ({
  reservedMicros: Number(h.reserved ?? 0),
  billedMicros: Number(h.billed ?? 0),
  chargedMicros: Number(h.charged ?? 0),
  refundedMicros: Number(h.refunded ?? 0),
  creditReservedMicros: Number(h.creditReserved ?? 0),
  creditChargedMicros: Number(h.creditCharged ?? 0),
  creditBilledMicros: Number(h.creditBilled ?? 0),
});

export class RedisLedger implements Ledger {
  constructor(
    private readonly client: RedisLike,
    private readonly prefix: string,
  ) {}

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

  async reserve(r: Reservation, limits: ReserveLimits): Promise<ReserveOutcome> {
    const keys = [K.user(r.period, r.guildId, r.userId), K.opsGuild(r.period, r.guildId), K.opsTotal(r.period), K.inFlight(r.guildId, r.userId), K.reservation(r.jobId), K.opsGuilds(r.period), TOUCHED, K.credit(r.userId)];
    const [ok, reason, value, balance] = (await this.run(RESERVE, keys.map((k) => this.key(k)), [
      r.micros,
      limits.userMicros,
      limits.guildCapMicros ?? -1,
      limits.capMicros ?? -1,
      limits.maxInFlight,
      0, // (was a TTL: nothing that holds money expires any more)
      r.guildId,
      limits.credits ? 1 : 0,
    ])) as [number, number, number?, number?];
    if (ok === 1) return Number(value) > 0 ? { ok: true, creditMicros: Number(value) } : { ok: true };
    if (reason === 3) return { ok: false, reason: "in_flight", inFlight: Number(value) };
    if (reason === 4) return { ok: false, reason: "released" };
    if (reason === 6) return { ok: false, reason: "credit_owed", owedMicros: Number(value) };
    const remainingMicros = Math.max(0, Number(value));
    return { ok: false, reason: reason === 5 ? "guild_cap" : reason === 2 ? "spend_cap" : "budget", remainingMicros, ...(limits.credits ? { creditMicros: Number(balance) } : {}) };
  }

  private async close(r: Reservation, member: "settled" | "refunded" | "", charge: number, billed: number | null): Promise<boolean> {
    const keys = [K.reservation(r.jobId), K.user(r.period, r.guildId, r.userId), K.opsGuild(r.period, r.guildId), K.opsTotal(r.period), K.inFlight(r.guildId, r.userId), TOUCHED, K.credit(r.userId), K.outstanding()];
    return (await this.run(CLOSE, keys.map((k) => this.key(k)), [charge, member, billed ?? -1])) === 1;
  }

  settle(r: Reservation, chargeMicros: number, billedMicros: number | null = chargeMicros): Promise<boolean> {
    return this.close(r, "settled", chargeMicros, billedMicros);
  }

  refund(r: Reservation, billedMicros: number | null = 0): Promise<boolean> {
    return this.close(r, "refunded", 0, billedMicros);
  }

  bill(r: Reservation, billedMicros: number): Promise<boolean> {
    return this.close(r, "", 0, billedMicros);
  }

  async grantCredit(g: CreditGrant): Promise<GrantOutcome> {
    const keys = [K.grant(g.entitlementId), K.credit(g.userId), K.outstanding(), K.opsCredits(g.period), TOUCHED];
    return (await this.run(GRANT, keys.map((k) => this.key(k)), [g.userId, g.micros, g.skuId, g.test ? 1 : 0])) as GrantOutcome;
  }

  async revokeCredit(entitlementId: string, userId: string, period: string): Promise<boolean> {
    const keys = [K.grant(entitlementId), K.credit(userId), K.outstanding(), K.opsCredits(period), TOUCHED];
    return (await this.run(REVOKE, keys.map((k) => this.key(k)), [userId])) === 1;
  }

  async creditOf(entitlementId: string): Promise<{ state: "credited" | "revoked"; userId: string; micros: number } | null> {
    const h = await this.client.hGetAll(this.key(K.grant(entitlementId)));
    if (!h.state) return null;
    return { state: h.state as "credited" | "revoked", userId: h.userId ?? "", micros: Number(h.micros ?? 0) };
  }

  async creditBalance(userId: string): Promise<number> {
    return Number((await this.client.get(this.key(K.credit(userId)))) ?? 0);
  }

  async creditBooks(period: string): Promise<CreditBooks> {
    const [credits, total, outstanding] = await Promise.all([
      this.client.hGetAll(this.key(K.opsCredits(period))),
      this.client.hGetAll(this.key(K.opsTotal(period))),
      this.client.get(this.key(K.outstanding())),
    ]);
    return { soldMicros: Number(credits.sold ?? 0), revokedMicros: Number(credits.revoked ?? 0), spentMicros: Number(total.creditCharged ?? 0), outstandingMicros: Number(outstanding ?? 0) };
  }

  async usage(guildId: string, userId: string, period: string): Promise<Usage> {
    const [t, inFlight] = await Promise.all([this.client.hGetAll(this.key(K.user(period, guildId, userId))), this.client.get(this.key(K.inFlight(guildId, userId)))]);
    return { spentMicros: Number(t.spent ?? 0), reservedMicros: Number(t.reserved ?? 0), inFlight: Number(inFlight ?? 0) };
  }

  async operatorTotals(period: string, guildId: string): Promise<{ guild: OperatorTotals; total: OperatorTotals }> {
    const [guild, total] = await Promise.all([this.client.hGetAll(this.key(K.opsGuild(period, guildId))), this.client.hGetAll(this.key(K.opsTotal(period)))]);
    return { guild: toTotals(guild), total: toTotals(total) };
  }

  async operatorBooks(period: string): Promise<OperatorBooks> {
    const ids = await this.client.sMembers(this.key(K.opsGuilds(period)));
    const guilds = await Promise.all(ids.map(async (guildId) => ({ guildId, ...toTotals(await this.client.hGetAll(this.key(K.opsGuild(period, guildId)))) })));
    return { total: toTotals(await this.client.hGetAll(this.key(K.opsTotal(period)))), guilds };
  }

  async resetSpent(guildId: string, userId: string, period: string): Promise<void> {
    await this.run(RESET, [this.key(K.user(period, guildId, userId)), this.key(TOUCHED)], []);
  }

  async forget(jobIds: string[]): Promise<void> {
    if (!jobIds.length) return;
    const keys = jobIds.map((id) => this.key(K.reservation(id)));
    await this.client.del(keys);
    await this.client.zRem(this.key(TOUCHED), keys);
  }

  /** Deletes the ledger's keys untouched since `beforeMs` (old periods' totals), in batches; returns how many. */
  async prune(beforeMs: number): Promise<number> {
    let removed = 0;
    let kept = 0; // in-flight counts still in use stay listed: page past them
    for (;;) {
      const keys = await this.client.zRangeByScore(this.key(TOUCHED), "-inf", `(${beforeMs}`, { LIMIT: { offset: kept, count: 500 } });
      if (!keys.length) return removed;
      const n = Number(await this.run(PRUNE, [this.key(TOUCHED), ...keys], [beforeMs]));
      removed += n;
      kept += keys.length - n;
    }
  }

  /**
   * Once per store: ledger keys written by versions that set a TTL on them lose it (HINCRBY keeps
   * a TTL), and are noted in the touched index so they are pruned like the rest.
   */
  async prepare(): Promise<void> {
    await this.removeExpiries();
  }

  async removeExpiries(): Promise<number> {
    const marker = this.key("ledger:no-expiry:v1");
    if ((await this.client.get(marker)) !== null) return 0;
    let changed = 0;
    for await (const batch of this.client.scanIterator({ MATCH: this.key("ledger:*"), COUNT: 500 })) {
      for (const key of batch) {
        if (key === this.key(TOUCHED)) continue;
        if (Number(await this.client.persist(key)) === 1) {
          changed++;
          await this.client.zAdd(this.key(TOUCHED), { score: Date.now(), value: key });
        }
      }
    }
    await this.client.eval("redis.call('SET', KEYS[1], '1') return 1", { keys: [marker], arguments: [] });
    return changed;
  }
}
