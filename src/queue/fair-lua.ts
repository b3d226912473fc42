/**
 * The fair order (fair.ts) kept in Redis, so every process hands the next free slot to the
 * same job, atomically. Each script runs whole in Redis; `KEYS[1]` is the queue's prefix and
 * the keys under it are built inside the scripts (one Redis, not a cluster):
 *   P:srv        zset (all scores 0, read by name): "start|seq|guild" of servers with jobs waiting
 *   P:sk         hash guild → its name in P:srv
 *   P:mem:<g>    zset: "start|seq|member" of the server's members with jobs waiting
 *   P:mk:<g>     hash member → its name in P:mem:<g>
 *   P:j:<g>:<m>  list: the member's waiting jobs, in arrival order
 *   P:q          hash job → "guild\nmember\nprocess\nlease token\nlease key"
 *   P:count      hash guild → jobs waiting
 *   P:clock      the server round of the last job handed out; P:sc hash guild → its member round
 *   P:last       zset guild → round of the last turn of a server with nothing waiting
 *   P:ml:<g>     zset member → round of the last turn of a member with nothing waiting
 *   P:to:<proc>  list: "job\nslot" granted to a process's jobs ("!job" when its lease was gone)
 *   P:seq, P:ver counters (joins; changes to the order)
 * Names are padded to 15 digits so that their byte order is the order of (start, seq).
 */
const HELPERS = `
local P = KEYS[1]
local function key(start, seq, name) return string.format('%015d|%015d|', start, seq) .. name end
local function parse(s) local a, b, name = string.match(s, '^(%d+)|(%d+)|(.*)$') return tonumber(a), tonumber(b), name end
local function split(s) local t = {} for part in string.gmatch(s .. '\\n', '([^\\n]*)\\n') do t[#t + 1] = part end return t end
local function unlink(id, rec)
  local g, m = rec[1], rec[2]
  local list = P .. ':j:' .. g .. ':' .. m
  redis.call('LREM', list, 1, id)
  redis.call('HDEL', P .. ':q', id)
  if redis.call('LLEN', list) == 0 then
    local mk = redis.call('HGET', P .. ':mk:' .. g, m)
    redis.call('ZREM', P .. ':mem:' .. g, mk)
    redis.call('HDEL', P .. ':mk:' .. g, m)
    redis.call('ZADD', P .. ':ml:' .. g, parse(mk) - 1, m)
  end
  if redis.call('HINCRBY', P .. ':count', g, -1) <= 0 then
    redis.call('HDEL', P .. ':count', g)
    local sk = redis.call('HGET', P .. ':sk', g)
    redis.call('ZREM', P .. ':srv', sk)
    redis.call('HDEL', P .. ':sk', g)
    redis.call('ZADD', P .. ':last', parse(sk) - 1, g)
  end
end
`;

/** ARGV: job, guild, member, process, lease token ('' when unfenced), lease key. Returns the order's version. */
export const ENQUEUE = `${HELPERS}
local id, g, m = ARGV[1], ARGV[2], ARGV[3]
local old = redis.call('HGET', P .. ':q', id)
if old then unlink(id, split(old)) end
local sk = redis.call('HGET', P .. ':sk', g)
if not sk then
  local last = tonumber(redis.call('ZSCORE', P .. ':last', g) or '-1')
  local clock = tonumber(redis.call('GET', P .. ':clock') or '0')
  sk = key(math.max(last + 1, clock), redis.call('INCR', P .. ':seq'), g)
  redis.call('ZADD', P .. ':srv', 0, sk)
  redis.call('HSET', P .. ':sk', g, sk)
  redis.call('ZREM', P .. ':last', g)
end
if not redis.call('HGET', P .. ':mk:' .. g, m) then
  local last = tonumber(redis.call('ZSCORE', P .. ':ml:' .. g, m) or '-1')
  local clock = tonumber(redis.call('HGET', P .. ':sc', g) or '0')
  local mk = key(math.max(last + 1, clock), redis.call('INCR', P .. ':seq'), m)
  redis.call('ZADD', P .. ':mem:' .. g, 0, mk)
  redis.call('HSET', P .. ':mk:' .. g, m, mk)
  redis.call('ZREM', P .. ':ml:' .. g, m)
end
redis.call('RPUSH', P .. ':j:' .. g .. ':' .. m, id)
redis.call('HSET', P .. ':q', id, table.concat({ g, m, ARGV[4], ARGV[5], ARGV[6] }, '\\n'))
redis.call('HINCRBY', P .. ':count', g, 1)
return redis.call('INCR', P .. ':ver')
`;

/**
 * KEYS[2] is the zset of slots held. ARGV: slot ttl (ms), capacity, process. Fills every free
 * slot from the head of the order, whichever process's jobs they are, then hands this process
 * what was granted to its jobs. Returns { version, { "job\\nslot" or "!job", … } }.
 */
export const GRANT = `${HELPERS}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[1]))
local changed = false
while redis.call('ZCARD', KEYS[2]) < tonumber(ARGV[2]) do
  local top = redis.call('ZRANGE', P .. ':srv', 0, 0)[1]
  if not top then break end
  changed = true
  local sstart, sseq, g = parse(top)
  local mtop = redis.call('ZRANGE', P .. ':mem:' .. g, 0, 0)[1]
  local mstart, mseq, m = parse(mtop)
  local list = P .. ':j:' .. g .. ':' .. m
  local id = redis.call('LPOP', list)
  local rec = split(redis.call('HGET', P .. ':q', id))
  redis.call('HDEL', P .. ':q', id)
  -- the member's turn, then the server's (fair.ts FairQueue.next)
  redis.call('HSET', P .. ':sc', g, mstart)
  redis.call('ZREM', P .. ':mem:' .. g, mtop)
  if redis.call('LLEN', list) > 0 then
    local nk = key(mstart + 1, mseq, m)
    redis.call('ZADD', P .. ':mem:' .. g, 0, nk)
    redis.call('HSET', P .. ':mk:' .. g, m, nk)
  else
    redis.call('HDEL', P .. ':mk:' .. g, m)
    redis.call('ZADD', P .. ':ml:' .. g, mstart, m)
  end
  redis.call('ZREMRANGEBYSCORE', P .. ':ml:' .. g, '-inf', '(' .. mstart)
  redis.call('SET', P .. ':clock', sstart)
  redis.call('ZREM', P .. ':srv', top)
  if redis.call('HINCRBY', P .. ':count', g, -1) > 0 then
    local nk = key(sstart + 1, sseq, g)
    redis.call('ZADD', P .. ':srv', 0, nk)
    redis.call('HSET', P .. ':sk', g, nk)
  else
    redis.call('HDEL', P .. ':count', g)
    redis.call('HDEL', P .. ':sk', g)
    redis.call('ZADD', P .. ':last', sstart, g)
  end
  -- idle servers a round behind no longer change anyone's round
  for _, x in ipairs(redis.call('ZRANGEBYSCORE', P .. ':last', '-inf', '(' .. sstart)) do
    redis.call('DEL', P .. ':ml:' .. x)
    redis.call('HDEL', P .. ':sc', x)
    redis.call('ZREM', P .. ':last', x)
  end
  -- a slot only for a job whose driver still holds its lease
  local owner, token, lease = rec[3], rec[4], rec[5]
  local to = P .. ':to:' .. owner
  if token ~= '' and redis.call('GET', lease) ~= token then
    redis.call('RPUSH', to, '!' .. id)
  else
    local slot = id
    if token ~= '' then slot = id .. ':' .. token end
    redis.call('ZADD', KEYS[2], now, slot)
    redis.call('RPUSH', to, id .. '\\n' .. slot)
  end
  redis.call('EXPIRE', to, 86400)
end
if changed then redis.call('INCR', P .. ':ver') end
local mine = redis.call('LRANGE', P .. ':to:' .. ARGV[3], 0, -1)
if #mine > 0 then redis.call('DEL', P .. ':to:' .. ARGV[3]) end
return { tonumber(redis.call('GET', P .. ':ver') or '0'), mine }
`;

/** KEYS[2] is the zset of slots held. ARGV: job, process, its slot. A slot granted meanwhile goes back; another process's entry stays. */
export const WITHDRAW = `${HELPERS}
local rec = redis.call('HGET', P .. ':q', ARGV[1])
if rec then
  local r = split(rec)
  -- only this process's entry: after a lapse the job's new driver may have queued it again
  if r[3] ~= ARGV[2] then return 0 end
  unlink(ARGV[1], r)
  redis.call('INCR', P .. ':ver')
  return 1
end
if redis.call('LREM', P .. ':to:' .. ARGV[2], 0, ARGV[1] .. '\\n' .. ARGV[3]) > 0 then redis.call('ZREM', KEYS[2], ARGV[3]) end
return 0
`;

/** The whole order as fair.ts reads it: { version, { { "start|seq|guild", { { "start|seq|member", { jobs… } }… } }… } }. */
export const SNAPSHOT = `${HELPERS}
local out = {}
for _, sk in ipairs(redis.call('ZRANGE', P .. ':srv', 0, -1)) do
  local _, _, g = parse(sk)
  local members = {}
  for _, mk in ipairs(redis.call('ZRANGE', P .. ':mem:' .. g, 0, -1)) do
    local _, _, m = parse(mk)
    members[#members + 1] = { mk, redis.call('LRANGE', P .. ':j:' .. g .. ':' .. m, 0, -1) }
  end
  out[#out + 1] = { sk, members }
end
return { tonumber(redis.call('GET', P .. ':ver') or '0'), out }
`;
