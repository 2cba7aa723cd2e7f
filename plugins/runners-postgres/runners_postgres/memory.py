"""Memory in PostgreSQL, searched with full-text search and ranked with ``ts_rank``.

Each record's text is indexed as English stems plus exact words (schema
version 2). A query matches records containing any of its words; every word
goes to ``plainto_tsquery`` as a bound parameter, so no user text is ever
parsed as query syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from psycopg import sql
from pydantic_core import to_json

from runners_core.memory.base import (
    BaseMemoryService,
    MemoryCursor,
    MemoryRecord,
    has_no_space_script,
    tokenize,
)
from runners_postgres.service import PostgresService

MAX_QUERY_WORDS = 32

_ADD = """
INSERT INTO memories (app_name, user_id, id, session_id, author, ts, text, content, custom_metadata)
SELECT %(app)s, %(user)s, r.* FROM unnest(
    %(ids)s::text[], %(sessions)s::text[], %(authors)s::text[], %(times)s::float8[],
    %(texts)s::text[], %(contents)s::text[], %(metadata)s::jsonb[]
) AS r
ON CONFLICT (app_name, user_id, id) DO NOTHING
"""

_SEARCH = """
SELECT id, session_id, author, ts, text, content, custom_metadata
FROM memories, (SELECT {query} AS q) AS query
WHERE app_name = %s AND user_id = %s AND search @@ q
ORDER BY ts_rank(search, q) DESC, ts, id
LIMIT %s
"""

_SUBSTRING_SEARCH = """
SELECT id, session_id, author, ts, text, content, custom_metadata
FROM (
    SELECT *, {score} AS score FROM memories
    WHERE app_name = %s AND user_id = %s
      AND text ~ '[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]'
) AS m
WHERE score > 0
ORDER BY score DESC, ts, id
LIMIT %s
"""

_WORD_QUERY = "(plainto_tsquery('english', {word}) || plainto_tsquery('simple', {word}))"

_LIST_RECORDS = """
SELECT user_id, id, session_id, author, ts, text, content, custom_metadata
FROM memories
WHERE app_name = %(app)s
  AND (%(before)s::float8 IS NULL OR ts < %(before)s::float8)
  AND (%(after_ts)s::float8 IS NULL
       OR (ts, user_id, id) > (%(after_ts)s::float8, %(after_user)s::text, %(after_id)s::text))
ORDER BY ts, user_id, id
LIMIT %(limit)s
"""

_DELETE = """
DELETE FROM memories
WHERE app_name = %(app)s AND user_id = %(user)s
  AND (%(id)s::text IS NULL OR id = %(id)s)
  AND (%(sid)s::text IS NULL OR session_id = %(sid)s)
"""


class PostgresMemoryService(PostgresService, BaseMemoryService):
    """Memories of every app and user in one table, isolated by (app, user) in each query."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"delete", "retention"})

    async def _add(self, *, app_name: str, user_id: str, records: Sequence[MemoryRecord]) -> None:
        params = {
            "app": app_name,
            "user": user_id,
            "ids": [r.id for r in records],
            "sessions": [r.session_id for r in records],
            "authors": [_no_nul(r.author) for r in records],
            "times": [r.timestamp for r in records],
            "texts": [_no_nul(r.text) for r in records],
            "contents": [r.content_json for r in records],
            "metadata": [to_json(dict(r.custom_metadata)).decode() for r in records],
        }
        await self._db.execute("adding memories", _ADD, params)

    async def _search(
        self, *, app_name: str, user_id: str, query: str, limit: int
    ) -> list[MemoryRecord]:
        words = list(dict.fromkeys(tokenize(query)))[:MAX_QUERY_WORDS]
        if not words:
            return []
        # The english/simple parsers keep a run of CJK or Thai text (with any Latin
        # word in it) as one word. Queries in those scripts match substrings instead,
        # and word queries that fill fewer than *limit* places get substring matches in
        # CJK or Thai memories after their full-text matches (ADK's substring fallback).
        rows: list[Any] = []
        if not has_no_space_script(query):
            tsquery = sql.SQL(" || ").join(
                sql.SQL(_WORD_QUERY).format(word=sql.Placeholder()) for _ in words
            )
            params: list[Any] = [w for word in words for w in (word, word)]
            params += [app_name, user_id, limit]
            rows = list(
                await self._db.fetch_all(
                    "searching memory", sql.SQL(_SEARCH).format(query=tsquery), params
                )
            )
        if len(rows) < limit:
            score = sql.SQL(" + ").join(
                sql.SQL("(strpos(lower(text), {}) > 0)::int").format(sql.Placeholder())
                for _ in words
            )
            more = await self._db.fetch_all(
                "searching memory",
                sql.SQL(_SUBSTRING_SEARCH).format(score=score),
                [*words, app_name, user_id, limit],
            )
            seen = {row[0] for row in rows}
            rows += [row for row in more if row[0] not in seen][: limit - len(rows)]
        return [
            MemoryRecord(
                id=row[0],
                session_id=row[1],
                author=row[2],
                timestamp=row[3],
                text=row[4],
                content_json=row[5],
                custom_metadata=row[6],
            )
            for row in rows
        ]

    async def _delete(
        self, *, app_name: str, user_id: str, memory_id: str | None, session_id: str | None
    ) -> None:
        params = {"app": app_name, "user": user_id, "id": memory_id, "sid": session_id}
        await self._db.execute("deleting memories", _DELETE, params)

    async def _list_records(
        self, *, app_name: str, before: float | None, limit: int, after: MemoryCursor | None
    ) -> list[tuple[str, MemoryRecord]]:
        after_ts, after_user, after_id = after or (None, None, None)
        params = {
            "app": app_name,
            "before": before,
            "after_ts": after_ts,
            "after_user": after_user,
            "after_id": after_id,
            "limit": limit,
        }
        rows = await self._db.fetch_all("listing memories", _LIST_RECORDS, params)
        return [
            (
                row[0],
                MemoryRecord(
                    id=row[1],
                    session_id=row[2],
                    author=row[3],
                    timestamp=row[4],
                    text=row[5],
                    content_json=row[6],
                    custom_metadata=row[7],
                ),
            )
            for row in rows
        ]


def _no_nul(text: str | None) -> str | None:
    """Search text without NUL, which PostgreSQL text cannot hold (content keeps it escaped)."""
    return None if text is None else text.replace("\x00", " ")
