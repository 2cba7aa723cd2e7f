"""Artifacts in PostgreSQL: every version a row, the payload in ``bytea``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import psycopg
from psycopg import errors as pg_errors
from pydantic_core import to_json

from runners_core.artifacts.base import (
    ArtifactData,
    BaseArtifactService,
    StoredArtifact,
    scope_column,
)
from runners_core.errors import RetryableBackendError
from runners_postgres.service import PostgresService

# Concurrent saves of one name may pick the same next version; the loser re-reads.
_PUT_ATTEMPTS = 20

_PUT = """
INSERT INTO artifacts
    (app_name, user_id, scope, name, version, kind, mime_type, custom_metadata, create_time, data)
SELECT %(app)s, %(user)s, %(scope)s, %(name)s, coalesce(max(version) + 1, 0),
       %(kind)s, %(mime)s, %(metadata)s::jsonb, %(now)s, %(data)s
FROM artifacts
WHERE app_name = %(app)s AND user_id = %(user)s AND scope = %(scope)s AND name = %(name)s
RETURNING version
"""

_GET = """
SELECT version, kind, mime_type, custom_metadata, create_time, data FROM artifacts
WHERE app_name = %(app)s AND user_id = %(user)s AND scope = %(scope)s AND name = %(name)s
  AND (%(version)s::int IS NULL OR version = %(version)s::int)
ORDER BY version DESC
LIMIT 1
"""

_NAMES = """
SELECT DISTINCT name FROM artifacts WHERE app_name = %s AND user_id = %s AND scope = %s
"""

_VERSIONS = """
SELECT version, kind, mime_type, custom_metadata, create_time FROM artifacts
WHERE app_name = %s AND user_id = %s AND scope = %s AND name = %s
ORDER BY version
"""

_PUT_VERSION = """
INSERT INTO artifacts
    (app_name, user_id, scope, name, version, kind, mime_type, custom_metadata, create_time, data)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)
ON CONFLICT DO NOTHING
"""

_DELETE = "DELETE FROM artifacts WHERE app_name = %s AND user_id = %s AND scope = %s AND name = %s"


class PostgresArtifactService(PostgresService, BaseArtifactService):
    """Versioned artifacts in one table; user-wide names are stored with an empty scope."""

    scheme: ClassVar[str] = "postgresql"
    capabilities: ClassVar[frozenset[str]] = frozenset({"retention"})
    base_options: ClassVar[tuple[str, ...]] = ("max_artifact_bytes",)

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
        params = {
            "app": app_name,
            "user": user_id,
            "scope": scope_column(session_id),
            "name": filename,
            "kind": data.kind,
            "mime": data.mime_type,
            "metadata": to_json(data.custom_metadata).decode(),
            "now": now,
            "data": data.data,
        }

        async def put(conn: psycopg.AsyncConnection) -> int:
            for _ in range(_PUT_ATTEMPTS):
                try:
                    row = await (await conn.execute(_PUT, params)).fetchone()
                except pg_errors.UniqueViolation:
                    continue
                assert row is not None
                return int(row[0])
            raise RetryableBackendError(
                f"artifact {filename!r} is being saved by many writers at once; {_PUT_ATTEMPTS} "
                "attempts to take the next version failed. Retry the save"
            )

        return await self._db.run("saving an artifact", put)

    async def _get(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        version: int | None,
    ) -> StoredArtifact | None:
        params = {
            "app": app_name,
            "user": user_id,
            "scope": scope_column(session_id),
            "name": filename,
            "version": version,
        }
        row = await self._db.fetch_one("loading an artifact", _GET, params)
        if row is None:
            return None
        number, kind, mime_type, metadata, create_time, payload = row
        return StoredArtifact(number, ArtifactData(kind, payload, mime_type, metadata), create_time)

    async def _names(self, *, app_name: str, user_id: str, session_id: str | None) -> list[str]:
        rows = await self._db.fetch_all(
            "listing artifacts", _NAMES, (app_name, user_id, scope_column(session_id))
        )
        return [name for (name,) in rows]

    async def _versions(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> list[StoredArtifact]:
        rows = await self._db.fetch_all(
            "listing artifact versions",
            _VERSIONS,
            (app_name, user_id, scope_column(session_id), filename),
        )
        return [
            StoredArtifact(number, ArtifactData(kind, b"", mime_type, metadata), create_time)
            for number, kind, mime_type, metadata, create_time in rows
        ]

    async def _delete(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> None:
        await self._db.execute(
            "deleting an artifact", _DELETE, (app_name, user_id, scope_column(session_id), filename)
        )

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
        params = (
            app_name,
            user_id,
            scope_column(session_id),
            filename,
            version,
            data.kind,
            data.mime_type,
            to_json(data.custom_metadata).decode(),
            create_time,
            data.data,
        )
        inserted = await self._db.execute("importing an artifact version", _PUT_VERSION, params)
        return inserted == 1

    async def _delete_versions(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        versions: Sequence[int],
    ) -> None:
        await self._db.execute(
            "deleting artifact versions",
            _DELETE + " AND version = ANY(%s)",
            (app_name, user_id, scope_column(session_id), filename, list(versions)),
        )
