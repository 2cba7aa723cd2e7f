"""Opening one dedicated connection, with clear errors and a server version check."""

from __future__ import annotations

import psycopg

from runners_core.errors import BackendError
from runners_postgres.errors import connect_error
from runners_postgres.settings import PostgresSettings

# Stored generated columns (the memory search vector) need PostgreSQL 12.
MIN_SERVER_VERSION = 120000


async def open_connection(
    settings: PostgresSettings, *extra_options: str
) -> psycopg.AsyncConnection:
    """An autocommit connection on *settings*' schema; extra ``-c name=value`` options allowed."""
    try:
        conn = await psycopg.AsyncConnection.connect(
            settings.conninfo,
            autocommit=True,
            options=settings.connect_options(*extra_options),
        )
    except psycopg.Error as exc:
        raise connect_error(exc, settings) from exc
    try:
        check_server_version(conn.info.server_version, settings)
    except BaseException:
        await conn.close()
        raise
    return conn


def check_server_version(version: int, settings: PostgresSettings) -> None:
    if version < MIN_SERVER_VERSION:
        raise BackendError(
            f"PostgreSQL at {settings.redacted} is version {format_version(version)}; "
            f"runners-postgres needs {format_version(MIN_SERVER_VERSION)} or newer. Upgrade the "
            "server, or use another backend (e.g. sqlite://) with this one"
        )


def format_version(number: int) -> str:
    """``150020`` -> ``15.20`` (PostgreSQL 10+ numbering)."""
    return f"{number // 10000}.{number % 10000}"
