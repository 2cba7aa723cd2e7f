"""Memory in SQLite: an FTS5 index over remembered text, ranked by bm25, per app and user.

Rows live in ``memories`` (unique per app, user and id, so re-adding an event is a
no-op); ``memories_fts`` indexes their text and triggers keep it in step, inside
the same transaction as the row.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic_core import to_json

from runners_core.memory.base import (
    BaseMemoryService,
    MemoryCursor,
    MemoryRecord,
    has_no_space_script,
    tokenize,
)
from runners_sqlite.database import Database, DatabaseOwner
from runners_sqlite.fts import MAX_WORDS, any_of, quoted_words
from runners_sqlite.settings import parse_url

_INSERT = (
    "INSERT INTO memories (app_name, user_id, id, session_id, author, timestamp, text, "
    "content, custom_metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (app_name, user_id, id) DO NOTHING"
)
_SEARCH = (
    "SELECT m.id, m.session_id, m.author, m.timestamp, m.text, m.content, m.custom_metadata "
    "FROM memories_fts JOIN memories m ON m.pk = memories_fts.rowid "
    "WHERE memories_fts MATCH ? AND m.app_name = ? AND m.user_id = ? "
    "ORDER BY {matched} DESC, bm25(memories_fts), m.pk LIMIT ?"
)
_SUBSTRING_SEARCH = (
    "SELECT m.id, m.session_id, m.author, m.timestamp, m.text, m.content, m.custom_metadata "
    "FROM (SELECT *, ({score}) AS score FROM memories WHERE app_name = ? AND user_id = ? "
    "AND text GLOB '*[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]*') m "
    "WHERE m.score > 0 ORDER BY m.score DESC, m.pk LIMIT ?"
)
# 1 if the entry contains the word: summed, how many of the query's words it contains.
_CONTAINS = "(m.pk IN (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?))"


class SqliteMemoryService(DatabaseOwner, BaseMemoryService):
    """Remembered events and entries in a SQLite file, searched with FTS5.

    ::

        SqliteMemoryService("sqlite:///.runners/memory.db")
    """

    capabilities: ClassVar[frozenset[str]] = frozenset({"delete", "retention"})

    def __init__(self, url: str | os.PathLike[str], **options: Any) -> None:
        self._db = Database(parse_url(url, **options))

    async def _add(self, *, app_name: str, user_id: str, records: Sequence[MemoryRecord]) -> None:
        rows = [
            (
                app_name,
                user_id,
                r.id,
                r.session_id,
                r.author,
                r.timestamp,
                r.text,
                r.content_json,
                to_json(dict(r.custom_metadata)).decode(),
            )
            for r in records
        ]

        def add(conn: sqlite3.Connection) -> None:
            conn.executemany(_INSERT, rows)

        await self._db.write("adding memories", add)

    async def _search(
        self, *, app_name: str, user_id: str, query: str, limit: int
    ) -> list[MemoryRecord]:
        terms = quoted_words(query)
        if not terms or limit <= 0:
            return []
        words = list(dict.fromkeys(tokenize(query)))[:MAX_WORDS]
        score = " + ".join(["(instr(lower(text), ?) > 0)"] * len(words))
        substring_sql = _SUBSTRING_SEARCH.format(score=score)
        fts_sql = _SEARCH.format(matched=" + ".join([_CONTAINS] * len(terms)))
        fts_params = (any_of(terms), app_name, user_id, *terms, limit)

        def search(conn: sqlite3.Connection) -> list[MemoryRecord]:
            # FTS5's unicode61 keeps a run of CJK or Thai text (with any Latin word in
            # it) as one token. Queries in those scripts match substrings instead, and
            # word queries that fill fewer than *limit* places get substring matches in
            # CJK or Thai memories after their FTS matches (ADK's substring fallback).
            rows = (
                [] if has_no_space_script(query) else conn.execute(fts_sql, fts_params).fetchall()
            )
            if len(rows) < limit:
                seen = {row[0] for row in rows}
                more = conn.execute(substring_sql, (*words, app_name, user_id, limit)).fetchall()
                rows += [row for row in more if row[0] not in seen][: limit - len(rows)]
            return [
                MemoryRecord(
                    id=mid,
                    session_id=session_id,
                    author=author,
                    timestamp=timestamp,
                    text=text,
                    content_json=content,
                    custom_metadata=json.loads(metadata),
                )
                for mid, session_id, author, timestamp, text, content, metadata in rows
            ]

        return await self._db.read("searching memory", search)

    async def _delete(
        self, *, app_name: str, user_id: str, memory_id: str | None, session_id: str | None
    ) -> None:
        sql = "DELETE FROM memories WHERE app_name = ? AND user_id = ?"
        params: list[Any] = [app_name, user_id]
        if memory_id is not None:
            sql += " AND id = ?"
            params.append(memory_id)
        if session_id is not None:
            sql += " AND session_id = ?"
            params.append(session_id)

        def delete(conn: sqlite3.Connection) -> None:
            conn.execute(sql, params)

        await self._db.write("deleting memories", delete)

    async def _list_records(
        self, *, app_name: str, before: float | None, limit: int, after: MemoryCursor | None
    ) -> list[tuple[str, MemoryRecord]]:
        sql = (
            "SELECT user_id, id, session_id, author, timestamp, text, content, custom_metadata "
            "FROM memories WHERE app_name = ?"
        )
        params: list[Any] = [app_name]
        if before is not None:
            sql += " AND timestamp < ?"
            params.append(before)
        if after is not None:
            sql += " AND (timestamp, user_id, id) > (?, ?, ?)"
            params.extend(after)
        sql += " ORDER BY timestamp, user_id, id LIMIT ?"
        params.append(limit)

        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(sql, params).fetchall()

        rows = await self._db.read("listing memories", read)
        return [
            (
                user_id,
                MemoryRecord(
                    id=mid,
                    session_id=session_id,
                    author=author,
                    timestamp=timestamp,
                    text=text,
                    content_json=content,
                    custom_metadata=json.loads(metadata),
                ),
            )
            for user_id, mid, session_id, author, timestamp, text, content, metadata in rows
        ]
