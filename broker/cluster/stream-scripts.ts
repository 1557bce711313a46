import { RECORD_OVERHEAD } from '../retention/memory-store';

/**
 * The Lua scripts of the Redis message store (broker/cluster/redis-message-store.ts). Each runs
 * atomically in Redis, so offsets are assigned by Redis alone: every node sees the same offsets
 * and epochs, whichever node appended.
 *
 * Keys of one history (KEYS[1..6]):
 * - the stream: one entry per retained message, id `<offset>-<ms>` (the ms part of a stream id
 *   holds the offset and the sequence part the append time, so XRANGE by offset is direct and
 *   ids grow with offsets), fields `m`: the message as a cluster envelope, and `s`: its place
 *   in the append order of every history (a counter in the stats hash);
 * - the meta hash: `epoch`, `next` (offset of the next append), `at` (time of the last append),
 *   `dropped` (time of the newest message trimmed), `cap` and `age` (the rule last applied);
 * - the store's stats hash (shared by every history of the prefix): messages, bytes (each
 *   message's envelope and a fixed charge), destinations, count, age and byte-budget (`overBudget`) drops, and
 *   the append counter `seq`;
 * - two hashes (shared too) of the bytes and messages in those stats of each history with an
 *   age, so one whose keys expired whole is taken out of them when an append meets it (each
 *   append with an age samples up to 8 shares while they are expired ones);
 * - the fronts sorted set (shared too): each history with messages, scored by the `s` of its
 *   oldest, so the globally oldest retained message is the front of the first member's stream.
 *   An append past the byte budget its node passes drops from there, whatever the destination.
 * ARGV after each script's own: the history's key and the prefix (the first member's keys are
 * built from them; a cluster store runs on one Redis, not Redis Cluster).
 * A history whose meta hash is gone (FLUSHALL, a restart without persistence, an eviction)
 * starts again under the new epoch the caller proposed: offsets are never reused under an epoch.
 * Times come from Redis (TIME), one clock for every node, never going back per history. With a
 * `maxAge`, both keys expire that long after the last append.
 */

const PRELUDE = `
local stream, meta, stats, fronts, sizes, counts = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local OVERHEAD = ${RECORD_OVERHEAD}
-- Adds to the stats (BYTES: their bytes since) and, for a history with an age (whose keys can
-- expire whole), to its own share, so that it can be taken out of them once expired.
local BYTES = 0
local function account(h, bytes, n, expiring)
  BYTES = redis.call('HINCRBY', stats, 'bytes', bytes)
  redis.call('HINCRBY', stats, 'messages', n)
  if expiring then
    redis.call('HINCRBY', sizes, h, bytes)
    redis.call('HINCRBY', counts, h, n)
  end
end
local function forget(h)
  local b = tonumber(redis.call('HGET', sizes, h) or '0')
  local n = tonumber(redis.call('HGET', counts, h) or '0')
  redis.call('HDEL', sizes, h)
  redis.call('HDEL', counts, h)
  redis.call('ZREM', fronts, h)
  BYTES = redis.call('HINCRBY', stats, 'bytes', -b)
  redis.call('HINCRBY', stats, 'messages', -n)
  redis.call('HINCRBY', stats, 'destinations', -1)
end
local function num(x) return string.format('%.0f', x) end
-- The fronts set says where history h's oldest message stands in the append order (or that it has none).
local function setFront(h, s)
  local e = redis.call('XRANGE', s, '-', '+', 'COUNT', 1)
  if #e == 0 then redis.call('ZREM', fronts, h) else redis.call('ZADD', fronts, tonumber(e[1][2][4] or '0'), h) end
end
local function offsetOf(id) return tonumber(string.match(id, '^(%d+)')) end
local function timeOf(id) return tonumber(string.match(id, '-(%d+)$')) end
local function clock(at)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  return math.max(now, tonumber(at or redis.call('HGET', meta, 'at') or '0'))
end
-- Drops from the front what cap (count) and age (ms, 0: none) no longer keep; returns the new first offset.
local function trim(cap, age, now, nxt)
  local front = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
  if #front == 0 then return nxt end
  local first = offsetOf(front[1][1])
  local keep = math.max(first, nxt - cap)
  local cutoff = age > 0 and (now - age) or -1
  if first >= keep and timeOf(front[1][1]) >= cutoff then return first end
  local byCount, byAge, bytes, last = 0, 0, 0, nil
  while first < nxt do
    -- Read only what the count drops, then (with an age) one entry at a time until one is kept.
    if first >= keep and cutoff < 0 then break end
    local want = math.min(128, math.max(1, keep - first))
    local batch = redis.call('XRANGE', stream, num(first), '+', 'COUNT', want)
    if #batch == 0 then break end
    local stop = false
    for _, e in ipairs(batch) do
      local o, t = offsetOf(e[1]), timeOf(e[1])
      if o < keep then byCount = byCount + 1
      elseif t < cutoff then byAge = byAge + 1
      else stop = true break end
      bytes = bytes + #e[2][2] + OVERHEAD
      last = t
      first = o + 1
    end
    if stop then break end
  end
  if last ~= nil then
    redis.call('XTRIM', stream, 'MINID', num(first))
    redis.call('HSET', meta, 'dropped', num(last))
    account(HKEY, -bytes, -(byCount + byAge), age > 0)
    redis.call('HINCRBY', stats, 'count', byCount)
    redis.call('HINCRBY', stats, 'age', byAge)
    setFront(HKEY, stream)
  end
  return first
end
`;

/**
 * Appends ARGV[1] (an envelope) under cap ARGV[2] and age ARGV[3] (0: none), creating the
 * history under epoch ARGV[4] when it has none, and PUBLISHes it on channel ARGV[5] (none when
 * empty) as `R<offset> <epoch> <ms>\n<envelope>`, inside the same script: so every node receives
 * a destination's messages in offset order. Returns { offset, epoch, ms }, and the cap and age
 * the history was last appended or read under when they are not ARGV's (a node with other rules).
 */
export const APPEND = `local HKEY, PREFIX, BUDGET = ARGV[6], ARGV[7], tonumber(ARGV[8])
${PRELUDE}
local was = redis.call('HMGET', meta, 'epoch', 'next', 'at', 'cap', 'age')
local epoch = was[1]
local nxt = 0
-- The rule of the previous append or read, when it is not this node's: nodes with other rules.
local other = epoch and was[4] and (was[4] ~= ARGV[2] or was[5] ~= ARGV[3])
if not epoch then
  epoch = ARGV[4]
  redis.call('DEL', stream)
  -- An earlier history of this key whose keys expired: out of the stats before this one counts.
  if redis.call('HEXISTS', sizes, HKEY) == 1 then forget(HKEY) end
  redis.call('HINCRBY', stats, 'destinations', 1)
else
  nxt = tonumber(was[2])
end
local now = clock(was[3])
local seq = redis.call('HINCRBY', stats, 'seq', 1)
redis.call('HSET', meta, 'epoch', epoch, 'next', num(nxt + 1), 'at', num(now), 'cap', ARGV[2], 'age', ARGV[3])
local wasEmpty = redis.call('XLEN', stream) == 0
redis.call('XADD', stream, num(nxt) .. '-' .. num(now), 'm', ARGV[1], 's', seq)
account(HKEY, #ARGV[1] + OVERHEAD, 1, tonumber(ARGV[3]) > 0)
if wasEmpty then redis.call('ZADD', fronts, seq, HKEY) end
trim(tonumber(ARGV[2]), tonumber(ARGV[3]), now, nxt + 1)
-- A history gone whole (its keys expired with its age) still has its share and maybe its front.
-- Each append with an age (the only ones that add shares) samples shares, up to 8 while they
-- are expired ones: they are taken out faster than appends add them, so they stay bounded.
-- The budget checks each front it meets.
if tonumber(ARGV[3]) > 0 then
  for _ = 1, 8 do
    local sample = redis.call('HRANDFIELD', sizes)
    if not sample or redis.call('EXISTS', PREFIX .. 'hm:' .. sample) == 1 then break end
    forget(sample)
  end
end
-- Past the budget: the globally oldest retained messages go, whatever their history (bounded per append).
local guard = 0
while BUDGET > 0 and guard < 1000 and BYTES > BUDGET do
  guard = guard + 1
  local head = redis.call('ZRANGE', fronts, 0, 0)
  if #head == 0 then break end
  local h = head[1]
  local s, m = PREFIX .. 'h:' .. h, PREFIX .. 'hm:' .. h
  local e = redis.call('EXISTS', m) == 1 and redis.call('XRANGE', s, '-', '+', 'COUNT', 1)
  if not e then
    forget(h)
  elseif #e == 0 then
    redis.call('ZREM', fronts, h)
  else
    redis.call('XTRIM', s, 'MINID', num(offsetOf(e[1][1]) + 1))
    redis.call('HSET', m, 'dropped', num(timeOf(e[1][1])))
    account(h, -(#e[1][2][2] + OVERHEAD), -1, redis.call('HEXISTS', sizes, h) == 1)
    redis.call('HINCRBY', stats, 'overBudget', 1)
    setFront(h, s)
  end
end
if tonumber(ARGV[3]) > 0 then
  -- Its last message is past the age by then: an idle history goes as a whole (a later append starts a new epoch).
  redis.call('PEXPIRE', stream, ARGV[3])
  redis.call('PEXPIRE', meta, ARGV[3])
end
if ARGV[5] ~= '' then
  redis.call('PUBLISH', ARGV[5], 'R' .. num(nxt) .. ' ' .. epoch .. ' ' .. num(now) .. '\\n' .. ARGV[1])
end
if other then return { num(nxt), epoch, num(now), was[4], was[5] } end
return { num(nxt), epoch, num(now) }
`;

/**
 * Reads a history after trimming it: ARGV[1] `o` (from offset ARGV[2]), `t` (from the first
 * message at or after ms ARGV[2]) or `h` (the head only); at most ARGV[3] messages; cap ARGV[4]
 * and age ARGV[5], or the history's own when empty. Returns { epoch, first, next, dropped,
 * id, envelope, id, envelope, ... }; { '' } when there is no history.
 */
export const READ = `local HKEY = ARGV[6]
${PRELUDE}
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then return { '' } end
local nxt = tonumber(redis.call('HGET', meta, 'next'))
local cap, age = ARGV[4], ARGV[5]
if cap == '' then cap, age = redis.call('HGET', meta, 'cap'), redis.call('HGET', meta, 'age')
else redis.call('HSET', meta, 'cap', cap, 'age', age) end
local first = trim(tonumber(cap), tonumber(age), clock(), nxt)
local start = nxt
if ARGV[1] == 'o' then
  start = math.max(tonumber(ARGV[2]), first)
elseif ARGV[1] == 't' then
  -- Appends are in time order: binary search over the offsets.
  local t, lo, hi = tonumber(ARGV[2]), first, nxt
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local e = redis.call('XRANGE', stream, num(mid), num(mid))
    if #e == 0 or timeOf(e[1][1]) < t then lo = mid + 1 else hi = mid end
  end
  start = lo
end
local out = { epoch, num(first), num(nxt), redis.call('HGET', meta, 'dropped') or '' }
local limit = tonumber(ARGV[3])
if start < nxt and limit > 0 then
  for _, e in ipairs(redis.call('XRANGE', stream, num(start), '+', 'COUNT', limit)) do
    out[#out + 1] = e[1]
    out[#out + 1] = e[2][2]
  end
end
return out
`;
