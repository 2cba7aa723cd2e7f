"""The versioned schema: migrations applied in place, by command or at start-up.

Each migration is one SQL script in ``runners_postgres/sql/``, applied in a
transaction together with its ``schema_version`` row, under an advisory lock so
that many processes starting at once migrate exactly once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from runners_core.errors import BackendError
from runners_postgres.advisory import advisory_key
from runners_postgres.connection import open_connection
from runners_postgres.errors import foreign_tables_error, operation_error
from runners_postgres.settings import PostgresSettings, parse_url


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    script: str

    def sql(self) -> str:
        return files("runners_postgres").joinpath("sql", self.script).read_text("utf-8")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "sessions, events, scoped state, memory, artifacts", "0001_initial.sql"),
    Migration(2, "memory search with English stems", "0002_memory_search.sql"),
    Migration(3, "event count per session (lazy history)", "0003_event_count.sql"),
)
LATEST = MIGRATIONS[-1].version


@dataclass(frozen=True)
class MigrationResult:
    schema: str
    before: int
    after: int

    @property
    def changed(self) -> bool:
        return self.before != self.after


async def schema_version(conn: psycopg.AsyncConnection) -> int:
    """The version of the tables on *conn*'s search_path; 0 when there are none."""
    cur = await conn.execute("SELECT to_regclass('schema_version') IS NOT NULL")
    row = await cur.fetchone()
    if not row or not row[0]:
        return 0
    cur = await conn.execute("SELECT coalesce(max(version), 0) FROM schema_version")
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def apply_migrations(
    conn: psycopg.AsyncConnection, settings: PostgresSettings
) -> MigrationResult:
    """Bring the schema to :data:`LATEST` in one transaction; a no-op when it is there."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", [_migration_lock(settings.schema)])
        cur = await conn.execute("SELECT to_regnamespace(%s) IS NULL", [settings.schema])
        missing = await cur.fetchone()
        if missing and missing[0]:
            await conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(settings.schema)))
        before = await schema_version(conn)
        _check_not_newer(before, settings)
        for migration in MIGRATIONS:
            if migration.version <= before:
                continue
            try:
                await conn.execute(migration.sql().encode())
            except pg_errors.DuplicateTable as exc:
                raise foreign_tables_error(settings, str(exc).splitlines()[0]) from exc
            await conn.execute(
                "INSERT INTO schema_version (version, description) VALUES (%s, %s)",
                [migration.version, migration.description],
            )
    return MigrationResult(settings.schema, before, LATEST)


async def ensure_schema(conn: psycopg.AsyncConnection, settings: PostgresSettings) -> None:
    """At start-up: migrate or refuse, as the URL's ``migrate`` option says."""
    current = await schema_version(conn)
    if current == LATEST:
        return
    _check_not_newer(current, settings)
    if settings.migrate == "always" or (settings.migrate == "auto" and current == 0):
        await apply_migrations(conn, settings)
        return
    where = f"schema {settings.schema!r} of {settings.redacted}"
    state = "has no runners-postgres tables" if current == 0 else f"is at version {current}"
    raise BackendError(
        f"{where} {state}; this runners-postgres needs version {LATEST}. Run "
        f"`runners postgres migrate '{settings.redacted}'` (or add ?migrate=always to the URL "
        "to migrate at start-up)"
    )


async def migrate_async(url: str, **options: Any) -> MigrationResult:
    """Create or upgrade the tables at *url* (its ``?schema=``) to the latest version."""
    settings = parse_url(url, **options)
    conn = await open_connection(settings)
    try:
        return await apply_migrations(conn, settings)
    except psycopg.Error as exc:
        raise operation_error(exc, settings, "migrating the schema") from exc
    finally:
        await conn.close()


async def inspect_version_async(url: str, **options: Any) -> int:
    """The schema version stored at *url* (0: no runners-postgres tables yet)."""
    settings = parse_url(url, **options)
    conn = await open_connection(settings)
    try:
        return await schema_version(conn)
    except psycopg.Error as exc:
        raise operation_error(exc, settings, "reading the schema version") from exc
    finally:
        await conn.close()


def inspect_version(url: str, **options: Any) -> int:
    """Synchronous :func:`inspect_version_async`."""
    return asyncio.run(inspect_version_async(url, **options))


def migrate(url: str, **options: Any) -> MigrationResult:
    """Synchronous :func:`migrate_async` (for scripts and the CLI; not inside an event loop)."""
    return asyncio.run(migrate_async(url, **options))


def _check_not_newer(version: int, settings: PostgresSettings) -> None:
    if version > LATEST:
        raise BackendError(
            f"schema {settings.schema!r} of {settings.redacted} is at version {version}, newer "
            f"than this runners-postgres understands ({LATEST}); upgrade runners-postgres "
            "(pip install -U runners-postgres)"
        )


def _migration_lock(schema: str) -> int:
    return advisory_key("runners-postgres migrate", schema)
