// The Redis ledger's steps as Lua scripts: each runs atomically on the server (see redis-ledger.ts).

export const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
export const TOUCHED = "ledger:touched";

// KEYS[8]: the member's credits; ARGV[8]: '1' when credits pay what the budget and the caps leave.
// The split is src/quota/split.ts's splitHold, in Lua.
export const RESERVE = `
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
export const CLOSE = `
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
export const GRANT = `
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

export const REVOKE = `
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

export const RESET = `
${NOW}
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'spent', 0) redis.call('ZADD', KEYS[2], now, KEYS[1]) end
return 1
`;

// Deletes the given keys that were not touched since ARGV[1] (checked again here: a step may have
// touched one meanwhile), except an in-flight count above zero; returns how many.
export const PRUNE = `
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
