/**
 * The Lua scripts of the Redis queues (broker/cluster/redis-queues.ts). One stream per queue
 * (KEYS[1]) with one consumer group (ARGV[1]); every node reads as its own consumer (its node
 * id). Each script runs atomically, so two nodes never take the same entry.
 *
 * An entry has two fields: `m`, the message as a cluster envelope (cluster-message.ts), and `x`,
 * when it expires (epoch ms, or `inf`). A settled entry (acked, expired, dead-lettered) is
 * XACKed and XDELed, so the stream's length is what waits plus what is in flight.
 *
 * A returned entry (NACK, UNSUBSCRIBE, session end) is moved, still pending, to the pseudo
 * consumer `~r:<node>` of the node that returned it. TAKE hands other nodes' returned entries
 * out first, the node's own only after `grace` ms, so that a NACK goes to another node's
 * consumer when there is one. The delivery count Redis keeps per pending entry is the
 * message's delivery count: XREADGROUP sets 1, each claim adds 1, a return keeps it (JUSTID).
 */

/** Appends a message: creates the stream and group on first use, trims to `max` (drop-oldest) or refuses (reject: -1). Returns how many were trimmed. */
export const ENQUEUE = `
local s, g, max = KEYS[1], ARGV[1], tonumber(ARGV[2])
if redis.call('EXISTS', s) == 0 then redis.call('XGROUP', 'CREATE', s, g, '0', 'MKSTREAM') end
local len = redis.call('XLEN', s)
if ARGV[3] == '1' and len >= max then return -1 end
redis.call('XADD', s, 'MAXLEN', max, '*', 'm', ARGV[4], 'x', ARGV[5])
return len + 1 - redis.call('XLEN', s)
`;

/**
 * Takes up to ARGV[3] entries for node ARGV[2]: returned ones (others' first, own after ARGV[5]
 * ms), then entries pending longer than ARGV[4] ms to any consumer (a dead node's: XAUTOCLAIM),
 * then new ones (XREADGROUP). Returns the XAUTOCLAIM cursor to pass as ARGV[6] next time (so
 * that the whole pending list is scanned over successive takes), then a flat list: id,
 * envelope, expiry, delivery count. Forgets consumers with nothing pending that were idle past
 * twice the claim timeout.
 */
export const TAKE = `
local s, g, me = KEYS[1], ARGV[1], ARGV[2]
local n, claim, grace, cursor = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
if redis.call('EXISTS', s) == 0 then return {'0-0'} end
local out = {'0-0'}
local function push(e, count)
  if type(e) ~= 'table' or type(e[2]) ~= 'table' then return end
  local m, x = nil, 'inf'
  local f = e[2]
  for i = 1, #f, 2 do
    if f[i] == 'm' then m = f[i + 1] elseif f[i] == 'x' then x = f[i + 1] end
  end
  if m == nil then return end
  table.insert(out, e[1]) table.insert(out, m) table.insert(out, x) table.insert(out, tostring(count))
  n = n - 1
end
local own = '~r:' .. me
local consumers = redis.call('XINFO', 'CONSUMERS', s, g)
local mine = nil
for _, c in ipairs(consumers) do
  local name, pending, idle = c[2], c[4], c[6]
  if string.sub(name, 1, 3) == '~r:' and pending > 0 then
    if name ~= own then
      if n > 0 then
        for _, p in ipairs(redis.call('XPENDING', s, g, '-', '+', n, name)) do
          push(redis.call('XCLAIM', s, g, me, 0, p[1])[1], p[4] + 1)
        end
      end
    else mine = true end
  elseif pending == 0 and name ~= me and idle > 2 * claim then
    redis.call('XGROUP', 'DELCONSUMER', s, g, name)
  end
end
if mine and n > 0 then
  for _, p in ipairs(redis.call('XPENDING', s, g, 'IDLE', grace, '-', '+', n, own)) do
    push(redis.call('XCLAIM', s, g, me, 0, p[1])[1], p[4] + 1)
  end
end
if n > 0 then
  local got = redis.call('XAUTOCLAIM', s, g, me, claim, cursor, 'COUNT', n)
  out[1] = got[1]
  for _, e in ipairs(got[2]) do
    local p = redis.call('XPENDING', s, g, e[1], e[1], 1)
    push(e, p[1] and p[1][4] or 1)
  end
end
if n > 0 then
  local got = redis.call('XREADGROUP', 'GROUP', g, me, 'COUNT', n, 'STREAMS', s, '>')
  if got then for _, e in ipairs(got[1][2]) do push(e, 1) end end
end
return out
`;

/** Settles entries ARGV[2..]: XACK and XDEL; a stream left empty with nothing pending is deleted (ENQUEUE creates it again). */
export const SETTLE = `
local s, g = KEYS[1], ARGV[1]
if redis.call('EXISTS', s) == 0 then return 0 end
for i = 2, #ARGV do
  redis.call('XACK', s, g, ARGV[i])
  redis.call('XDEL', s, ARGV[i])
end
if redis.call('XLEN', s) == 0 and redis.call('XPENDING', s, g)[1] == 0 then redis.call('DEL', s) end
return 0
`;

/**
 * Returns entries that node ARGV[2] still holds to its `~r:` consumer; ARGV[3..] are pairs of
 * id and the delivery count to keep (one less than Redis counted for an entry taken but never
 * delivered). Returns how many moved.
 */
export const GIVE_BACK = `
local s, g, me = KEYS[1], ARGV[1], ARGV[2]
local moved = 0
for i = 3, #ARGV - 1, 2 do
  local p = redis.call('XPENDING', s, g, ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == me then
    redis.call('XCLAIM', s, g, '~r:' .. me, 0, ARGV[i], 'RETRYCOUNT', ARGV[i + 1], 'JUSTID')
    moved = moved + 1
  end
end
return moved
`;

/** Resets the idle time of entries ARGV[3..] node ARGV[2] still holds, so no live node's entries are claimed. */
export const TOUCH = `
local s, g, me = KEYS[1], ARGV[1], ARGV[2]
for i = 3, #ARGV do
  local p = redis.call('XPENDING', s, g, ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == me then redis.call('XCLAIM', s, g, me, 0, ARGV[i], 'JUSTID') end
end
return 0
`;

/**
 * Deletes expired entries that wait, never delivered (after the group's last-delivered id),
 * looking at ARGV[3] of them at most; ARGV[2] is the node's clock (expiries are the sending
 * node's, epoch ms). Returns a flat list: id, envelope, of each one deleted.
 */
export const SWEEP = `
local s, g, now, limit = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('EXISTS', s) == 0 then return {} end
local last = nil
for _, gr in ipairs(redis.call('XINFO', 'GROUPS', s)) do
  local name, id = nil, nil
  for i = 1, #gr, 2 do
    if gr[i] == 'name' then name = gr[i + 1] elseif gr[i] == 'last-delivered-id' then id = gr[i + 1] end
  end
  if name == g then last = id end
end
if last == nil then return {} end
local out = {}
for _, e in ipairs(redis.call('XRANGE', s, '(' .. last, '+', 'COUNT', limit)) do
  local f, m, x = e[2], nil, nil
  for i = 1, #f, 2 do
    if f[i] == 'm' then m = f[i + 1] elseif f[i] == 'x' then x = f[i + 1] end
  end
  if m ~= nil and x ~= nil and x ~= 'inf' and tonumber(x) <= now then
    redis.call('XDEL', s, e[1])
    table.insert(out, e[1]) table.insert(out, m)
  end
end
return out
`;
