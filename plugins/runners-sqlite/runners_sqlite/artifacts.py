"""Artifacts in SQLite: one row per version, numbered 0, 1, ... per name and scope.

A save takes the write lock, so "highest version + 1" cannot be handed out twice,
even by two processes. Scope ``''`` holds user-wide artifacts (``user:`` names);
session ids are never empty, so it cannot clash with a session.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic_core import to_json

from runners_core.artifacts.base import (
    ArtifactData,
    BaseArtifactService,
    StoredArtifact,
    scope_column,
)
from runners_sqlite.database import Database, DatabaseOwner
from runners_sqlite.settings import parse_url

_ARTIFACT_OPTIONS = ("max_artifact_bytes",)

_WHERE = "app_name = ? AND user_id = ? AND scope = ? AND name = ?"
_NEXT_VERSION = f"SELECT coalesce(max(version) + 1, 0) FROM artifacts WHERE {_WHERE}"
_INSERT = (
    "INSERT INTO artifacts (app_name, user_id, scope, name, version, kind, mime_type, "
    "custom_metadata, create_time, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_COLUMNS = "version, kind, mime_type, custom_metadata, create_time"
_INLINE_BYTES = 1024 * 1024
"""Payloads up to this size come with their row; larger ones through incremental blob I/O,
which reads them straight into one buffer: fetched with the row, a payload is held twice
for a moment (SQLite's copy of the row, then Python's bytes)."""
# length() of a blob is known from the record header: large payloads stay on disk here.
_PAYLOAD = f"pk, CASE WHEN length(data) <= {_INLINE_BYTES} THEN data END"
_LATEST = (
    f"SELECT {_COLUMNS}, {_PAYLOAD} FROM artifacts WHERE {_WHERE} ORDER BY version DESC LIMIT 1"
)
_ONE = f"SELECT {_COLUMNS}, {_PAYLOAD} FROM artifacts WHERE {_WHERE} AND version = ?"
# Listing versions leaves the payloads on disk (the base class only needs metadata).
_VERSIONS = f"SELECT {_COLUMNS}, x'' FROM artifacts WHERE {_WHERE} ORDER BY version"
_NAMES = "SELECT DISTINCT name FROM artifacts WHERE app_name = ? AND user_id = ? AND scope = ?"


class SqliteArtifactService(DatabaseOwner, BaseArtifactService):
    """Versioned artifacts as blobs in a SQLite file.

    ::

        SqliteArtifactService("sqlite:///.runners/artifacts.db")
    """

    scheme: ClassVar[str] = "sqlite"
    capabilities: ClassVar[frozenset[str]] = frozenset({"retention"})

    def __init__(self, url: str | os.PathLike[str], **options: Any) -> None:
        base = {k: options.pop(k) for k in _ARTIFACT_OPTIONS if k in options}
        super().__init__(**base)
        self._db = Database(parse_url(url, **options))

    async def _put(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        data: ArtifactData,
        now: float,
    ) -> int:
        key = (app_name, user_id, scope_column(session_id), filename)
        metadata = to_json(data.custom_metadata).decode()

        def put(conn: sqlite3.Connection) -> int:
            (version,) = conn.execute(_NEXT_VERSION, key).fetchone()
            row = (*key, version, data.kind, data.mime_type, metadata, now, data.data)
            conn.execute(_INSERT, row)
            return int(version)

        return await self._db.write("saving an artifact", put)

    async def _get(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        version: int | None,
    ) -> StoredArtifact | None:
        key = (app_name, user_id, scope_column(session_id), filename)

        def get(conn: sqlite3.Connection) -> StoredArtifact | None:
            if version is None:
                row = conn.execute(_LATEST, key).fetchone()
            else:
                row = conn.execute(_ONE, (*key, version)).fetchone()
            if row is None:
                return None
            *columns, pk, data = row
            if data is None:  # a large payload: read it on its own, in the same transaction
                with conn.blobopen("artifacts", "data", pk, readonly=True) as blob:
                    data = blob.read()
            return _stored((*columns, data))

        return await self._db.read("loading an artifact", get)

    async def _names(self, *, app_name: str, user_id: str, session_id: str | None) -> list[str]:
        def names(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(_NAMES, (app_name, user_id, scope_column(session_id)))
            return [name for (name,) in rows]

        return await self._db.read("listing artifacts", names)

    async def _versions(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> list[StoredArtifact]:
        key = (app_name, user_id, scope_column(session_id), filename)

        def versions(conn: sqlite3.Connection) -> list[StoredArtifact]:
            return [_stored(row) for row in conn.execute(_VERSIONS, key)]

        return await self._db.read("listing artifact versions", versions)

    async def _delete(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> None:
        key = (app_name, user_id, scope_column(session_id), filename)

        def delete(conn: sqlite3.Connection) -> None:
            conn.execute(f"DELETE FROM artifacts WHERE {_WHERE}", key)

        await self._db.write("deleting an artifact", delete)

    async def _delete_versions(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        versions: Sequence[int],
    ) -> None:
        key = (app_name, user_id, scope_column(session_id), filename)
        numbers = list(versions)

        def delete(conn: sqlite3.Connection) -> None:
            for start in range(0, len(numbers), 500):
                chunk = numbers[start : start + 500]
                marks = ",".join("?" * len(chunk))
                conn.execute(
                    f"DELETE FROM artifacts WHERE {_WHERE} AND version IN ({marks})",
                    (*key, *chunk),
                )

        await self._db.write("deleting artifact versions", delete)

    async def _put_version(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        version: int,
        data: ArtifactData,
        create_time: float,
    ) -> bool:
        key = (app_name, user_id, scope_column(session_id), filename)
        metadata = to_json(data.custom_metadata).decode()
        row = (*key, version, data.kind, data.mime_type, metadata, create_time, data.data)

        def put(conn: sqlite3.Connection) -> bool:
            return conn.execute(_INSERT + " ON CONFLICT DO NOTHING", row).rowcount == 1

        return await self._db.write("importing an artifact version", put)


def _stored(row: tuple[Any, ...]) -> StoredArtifact:
    version, kind, mime_type, metadata, create_time, data = row
    payload = ArtifactData(kind, bytes(data), mime_type, json.loads(metadata))
    return StoredArtifact(version, payload, create_time)
