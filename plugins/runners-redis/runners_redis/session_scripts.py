"""The Lua scripts behind session writes and loads.

Each runs atomically on the server, so concurrent writers in any number of
processes never interleave inside one: an append either happens completely
(event stored, id recorded, all three state scopes updated, TTL refreshed) or
not at all.
"""

from __future__ import annotations

from runners_redis.scripts import LuaScript

# put(key, count, pos): HSET `count` field/value pairs of ARGV starting at `pos`;
# returns the position after them.
_PUT = """
local function put(key, count, pos)
  for _ = 1, count do
    redis.call('HSET', key, ARGV[pos], ARGV[pos + 1])
    pos = pos + 2
  end
  return pos
end
"""

# expire(ttl_ms): give the four session keys (KEYS[1..4]) the session's TTL.
_EXPIRE = """
local function expire(ttl)
  if ttl > 0 then
    for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
"""

CREATE = LuaScript(
    "create_session",
    _PUT
    + _EXPIRE
    + """
-- KEYS: meta state events ids index app_state user_state
-- ARGV: member now nonce ttl_ms n_state n_app n_user (field value)...
local nonce = redis.call('HGET', KEYS[1], 'nonce')
if nonce and nonce ~= ARGV[3] then return {0} end
if not nonce then
  -- Leftovers of an expired session must not leak into the new one.
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  redis.call('HSET', KEYS[1], 'created', ARGV[2], 'updated', ARGV[2], 'nonce', ARGV[3])
  local pos = put(KEYS[2], tonumber(ARGV[5]), 8)
  pos = put(KEYS[6], tonumber(ARGV[6]), pos)
  put(KEYS[7], tonumber(ARGV[7]), pos)
  redis.call('ZADD', KEYS[5], 0, ARGV[1])
  expire(tonumber(ARGV[4]))
end
-- A matching nonce is our own earlier attempt (a retried reply): report success.
return {1, redis.call('HGETALL', KEYS[6]), redis.call('HGETALL', KEYS[7])}
""",
)

APPEND = LuaScript(
    "append_event",
    _PUT
    + _EXPIRE
    + """
-- KEYS: meta state events ids app_state user_state lock
-- ARGV: event_id event_json timestamp ttl_ms n_state n_app n_user lease_token
--       attempt slot (field value)...
-- Returns -2: the lease is no longer ours (fenced), -1: no such session,
-- 0: event id already stored, 1: stored.
-- attempt: a random id of the call, the same when the client sends it again; slot: the
-- record's place in the call (0 for a single append). The session's meta keeps the
-- attempt and the status of each slot, so a command sent again after its reply was lost
-- (a retry) gets the reply the first run gave, not "already stored" for its own event.
local seen = redis.call('HMGET', KEYS[1], 'attempt', 'statuses')
local slot = tonumber(ARGV[10])
local statuses = ''
if seen[1] == ARGV[9] then
  statuses = seen[2] or ''
  local mark = string.sub(statuses, slot + 1, slot + 1)
  if mark == '0' or mark == '1' then return tonumber(mark) end
end
-- The statuses with this slot's *mark*; a slot with none (fenced, no session) has '-'.
local function receipt(mark)
  local head = string.sub(statuses, 1, slot) .. string.rep('-', slot - #statuses)
  return head .. mark .. string.sub(statuses, slot + 2)
end
-- A writer holding the run lease passes its token: if the lease expired under it (or
-- another process now holds it), the write is refused; '' writes without a lease.
if ARGV[8] ~= '' and redis.call('GET', KEYS[7]) ~= ARGV[8] then return -2 end
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('SADD', KEYS[4], ARGV[1]) == 0 then
  redis.call('HSET', KEYS[1], 'attempt', ARGV[9], 'statuses', receipt('0'))
  return 0
end
redis.call('RPUSH', KEYS[3], ARGV[2])
local pos = put(KEYS[2], tonumber(ARGV[5]), 11)
pos = put(KEYS[5], tonumber(ARGV[6]), pos)
put(KEYS[6], tonumber(ARGV[7]), pos)
redis.call('HSET', KEYS[1], 'updated', ARGV[3], 'attempt', ARGV[9], 'statuses', receipt('1'))
expire(tonumber(ARGV[4]))
return 1
""",
)

# scopes(): the session, app and user state hashes (KEYS[2], KEYS[4], KEYS[5]) as one
# JSON array of three objects. The values are stored as JSON already, so the client
# parses one document instead of every value apart.
_SCOPES = """
local function object(key)
  local flat = redis.call('HGETALL', key)
  local parts = {}
  for i = 1, #flat, 2 do parts[#parts + 1] = cjson.encode(flat[i]) .. ':' .. flat[i + 1] end
  return '{' .. table.concat(parts, ',') .. '}'
end
local function scopes()
  return '[' .. object(KEYS[2]) .. ',' .. object(KEYS[4]) .. ',' .. object(KEYS[5]) .. ']'
end
"""

LOAD = LuaScript(
    "load_session",
    _SCOPES
    + """
-- KEYS: meta state events app_state user_state
-- ARGV: num_recent (-1: all) after_timestamp
-- Returns false if missing, else {updated, scopes, event...} (one flat reply).
local updated = redis.call('HGET', KEYS[1], 'updated')
if not updated then return false end
local n = redis.call('LLEN', KEYS[3])
local first = 0
local recent = tonumber(ARGV[1])
if recent >= 0 then first = math.max(0, n - recent) end
-- Keep the trailing run of events at or after the timestamp: scan from the tail.
local after = tonumber(ARGV[2])
local tail = {}
local stop = n
local done = false
while stop > first and not done do
  local start = math.max(first, stop - 64)
  local chunk = redis.call('LRANGE', KEYS[3], start, stop - 1)
  for k = #chunk, 1, -1 do
    if cjson.decode(chunk[k]).timestamp < after then done = true break end
    tail[#tail + 1] = chunk[k]
  end
  stop = start
end
local reply = {updated, scopes()}
for k = #tail, 1, -1 do reply[#reply + 1] = tail[k] end
return reply
""",
)

LOAD_TAIL = LuaScript(
    "load_session_tail",
    _SCOPES
    + """
-- KEYS: meta state events app_state user_state
-- ARGV: tail (how many of the newest events to return)
-- Returns false if missing, else {updated, count, scopes, event...} (one flat reply):
-- the older events are read by index later (appends only add higher ones).
local updated = redis.call('HGET', KEYS[1], 'updated')
if not updated then return false end
local n = redis.call('LLEN', KEYS[3])
local reply = {updated, n, scopes()}
local tail = tonumber(ARGV[1])
if tail > 0 and n > 0 then
  local events = redis.call('LRANGE', KEYS[3], -tail, -1)
  for k = 1, #events do reply[k + 3] = events[k] end
end
return reply
""",
)

PRUNE_INDEX = LuaScript(
    "prune_session_index",
    """
-- KEYS: index meta_1 .. meta_n     ARGV: member_1 .. member_n
-- Drop index members whose session has expired (and was not re-created meanwhile).
local removed = 0
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
""",
)

DELETE_EVENTS = LuaScript(
    "delete_events",
    """
-- KEYS: events ids meta     ARGV: attempt, then the event ids to delete
-- Marks the doomed entries in place and removes the marks, so the list keeps its TTL.
-- attempt: a random id of the call. The session's meta keeps the last deletion's attempt
-- and count (field 'deleted'), so a command sent again after its reply was lost (a retry)
-- reports the events the first run removed, not the 0 that are left to remove.
local receipt = ARGV[1] .. ' '
local last = redis.call('HGET', KEYS[3], 'deleted')
if last and string.sub(last, 1, #receipt) == receipt then
  return tonumber(string.sub(last, #receipt + 1))
end
local doomed = {}
for i = 2, #ARGV do doomed[ARGV[i]] = true end
local mark = 'runners:deleted'  -- stored events are JSON objects: never equal to this
local items = redis.call('LRANGE', KEYS[1], 0, -1)
local removed = 0
for i = 1, #items do
  local ok, event = pcall(cjson.decode, items[i])
  if ok and type(event) == 'table' and doomed[event.id] then
    redis.call('LSET', KEYS[1], i - 1, mark)
    redis.call('SREM', KEYS[2], event.id)
    removed = removed + 1
  end
end
if removed > 0 then redis.call('LREM', KEYS[1], 0, mark) end
-- Only on a session that exists: HSET must not create a meta (a session) of its own.
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('HSET', KEYS[3], 'deleted', receipt .. removed)
end
return removed
""",
)
