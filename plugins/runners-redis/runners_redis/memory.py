"""Memory in Redis: a small inverted index of words, per app and user.

For each app and user: a hash ``records`` (memory id -> record JSON), one
sorted set ``t/<word>`` per word (memory id scored by its timestamp) and one
set ``s/<session>`` per session (memory ids, for deleting a session's
memories). Search counts, per memory, how many distinct query words it
contains, and ranks by that count, then recency, then id: what the in-memory
service does, without stemming, phrase matching or relevance weighting.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

from runners_core.memory.base import (
    BaseMemoryService,
    MemoryCursor,
    MemoryRecord,
    index_terms,
    tokenize,
)
from runners_redis.connections import RedisConnections
from runners_redis.keys import KeySpace
from runners_redis.scripts import LuaScript
from runners_redis.settings import parse_redis_url
from runners_redis.values import encode_float, encode_json

ADD = LuaScript(
    "memory_add",
    """
-- ARGV: base count then per record: id json timestamp session_id n_words word...
-- A record whose id is stored already is skipped (re-adding changes nothing).
local base = ARGV[1]
local pos = 3
local added = 0
for _ = 1, tonumber(ARGV[2]) do
  local id, ts, sid, n = ARGV[pos], ARGV[pos + 2], ARGV[pos + 3], tonumber(ARGV[pos + 4])
  local fresh = redis.call('HSETNX', base .. 'records', id, ARGV[pos + 1]) == 1
  pos = pos + 5
  if fresh then
    for k = pos, pos + n - 1 do redis.call('ZADD', base .. 't/' .. ARGV[k], ts, id) end
    if sid ~= '' then redis.call('SADD', base .. 's/' .. sid, id) end
    added = added + 1
  end
  pos = pos + n
end
return added
""",
)

SEARCH = LuaScript(
    "memory_search",
    """
-- ARGV: base limit word...    Returns record JSON, best first.
local base = ARGV[1]
local hits, ts, ids = {}, {}, {}
for i = 3, #ARGV do
  local rows = redis.call('ZRANGE', base .. 't/' .. ARGV[i], 0, -1, 'WITHSCORES')
  for k = 1, #rows, 2 do
    local id = rows[k]
    if not hits[id] then ids[#ids + 1] = id; hits[id] = 0; ts[id] = tonumber(rows[k + 1]) end
    hits[id] = hits[id] + 1
  end
end
table.sort(ids, function(a, b)
  if hits[a] ~= hits[b] then return hits[a] > hits[b] end
  if ts[a] ~= ts[b] then return ts[a] < ts[b] end  -- oldest first: insertion order, as ADK
  return a < b
end)
local out = {}
for i = 1, math.min(tonumber(ARGV[2]), #ids) do
  out[i] = redis.call('HGET', base .. 'records', ids[i])
end
return out
""",
)

DELETE = LuaScript(
    "memory_delete",
    """
-- ARGV: base memory_id ('' : any) session_id ('' : any)
local base = ARGV[1]
local records = base .. 'records'
local ids
if ARGV[2] ~= '' then ids = {ARGV[2]}
elseif ARGV[3] ~= '' then ids = redis.call('SMEMBERS', base .. 's/' .. ARGV[3])
else ids = redis.call('HKEYS', records) end
local removed = 0
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', records, id)
  if raw then
    local record = cjson.decode(raw)
    local sid = record.session_id
    if type(sid) ~= 'string' then sid = '' end
    if ARGV[3] == '' or sid == ARGV[3] then
      for _, word in ipairs(record.words) do redis.call('ZREM', base .. 't/' .. word, id) end
      if sid ~= '' then redis.call('SREM', base .. 's/' .. sid, id) end
      redis.call('HDEL', records, id)
      removed = removed + 1
    end
  end
end
return removed
""",
)


class RedisMemoryService(BaseMemoryService):
    """Keyword-searchable memory in Redis, shared by every process using the same prefix."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"delete", "retention"})

    def __init__(self, url: str, *, prefix: str | None = None) -> None:
        self.settings = parse_redis_url(url, prefix=prefix)
        self.keys = KeySpace(self.settings.prefix)
        self._connections = RedisConnections(self.settings)

    def __repr__(self) -> str:
        return f"RedisMemoryService({self.settings.redacted_url!r})"

    async def close(self) -> None:
        await self._connections.close()

    async def _add(self, *, app_name: str, user_id: str, records: Sequence[MemoryRecord]) -> None:
        args: list[Any] = [self.keys.memory_base(app_name, user_id), len(records)]
        for record in records:
            words = sorted(set(index_terms(record.text)))
            args += [
                record.id,
                _record_json(record, words),
                encode_float(record.timestamp),
                record.session_id or "",
                len(words),
                *words,
            ]
        async with self._connections.client() as client:
            await ADD(client, (), args)

    async def _search(
        self, *, app_name: str, user_id: str, query: str, limit: int
    ) -> list[MemoryRecord]:
        words = sorted(set(tokenize(query)))
        base = self.keys.memory_base(app_name, user_id)
        async with self._connections.client() as client:
            rows = await SEARCH(client, (), [base, max(0, limit), *words])
        return [_parse_record(row) for row in rows if row is not None]

    async def _delete(
        self, *, app_name: str, user_id: str, memory_id: str | None, session_id: str | None
    ) -> None:
        base = self.keys.memory_base(app_name, user_id)
        async with self._connections.client() as client:
            await DELETE(client, (), [base, memory_id or "", session_id or ""])

    async def _list_records(
        self, *, app_name: str, before: float | None, limit: int, after: MemoryCursor | None
    ) -> list[tuple[str, MemoryRecord]]:
        # Redis has no index across users: every page reads the app's record hashes.
        # Retention and export walk an app once, so this stays linear per page.
        rows: list[tuple[float, str, str, MemoryRecord]] = []
        async with self._connections.client() as client:
            async for key in client.scan_iter(
                match=self.keys.memory_records_pattern(app_name), count=500
            ):
                name = key.decode() if isinstance(key, bytes) else key
                user_id = self.keys.memory_records_user(app_name, name)
                if user_id is None:
                    continue
                for raw in (await client.hgetall(name)).values():
                    record = _parse_record(raw.decode() if isinstance(raw, bytes) else raw)
                    if before is not None and record.timestamp >= before:
                        continue
                    row = (record.timestamp, user_id, record.id, record)
                    if after is None or row[:3] > after:
                        rows.append(row)
        rows.sort(key=lambda row: row[:3])
        return [(user_id, record) for _, user_id, _, record in rows[:limit]]


def _record_json(record: MemoryRecord, words: list[str]) -> str:
    data = {
        "id": record.id,
        "session_id": record.session_id,
        "author": record.author,
        "timestamp": record.timestamp,
        "text": record.text,
        "content": record.content_json,
        "metadata": dict(record.custom_metadata),
        "words": words,
    }
    return encode_json(data, f"memory {record.id!r} (its custom_metadata)")


def _parse_record(raw: str) -> MemoryRecord:
    data = json.loads(raw)
    return MemoryRecord(
        id=data["id"],
        session_id=data["session_id"],
        author=data["author"],
        timestamp=data["timestamp"],
        text=data["text"],
        content_json=data["content"],
        custom_metadata=data["metadata"],
    )
