"""Run serialisation across processes and hosts: a session-level advisory lock.

An invocation holds ``pg_advisory_lock(key)`` on a connection of its own, where
*key* is a 64-bit hash of (schema, app, user, session). PostgreSQL frees the lock
when that connection ends, so a process that dies or loses the network never
leaves a session locked. While the lock is held, the invocation's appends go
through the same connection (see :func:`held_lock`): if the connection, and so
the lock, is lost, the next append fails instead of writing into a session that
another process may already be running.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg import errors as pg_errors

from runners_postgres.advisory import advisory_key
from runners_postgres.database import Database
from runners_postgres.errors import operation_error

SessionKey = tuple[str, str, str]
# Lets the server notice a client that vanished while waiting for the lock (PostgreSQL 14+).
_CLIENT_CHECK_SINCE = 140000


@dataclass(eq=False)
class HeldLock:
    """A session lock this task holds, with the connection that holds it."""

    database: Database
    key: SessionKey
    conn: psycopg.AsyncConnection
    loop: asyncio.AbstractEventLoop
    mutex: asyncio.Lock = field(default_factory=asyncio.Lock)
    active: bool = True


_HELD: contextvars.ContextVar[HeldLock | None] = contextvars.ContextVar(
    "runners_postgres_held_lock", default=None
)


def held_lock(database: Database, key: SessionKey) -> HeldLock | None:
    """The lock on *key* the current task holds through *database*, if any."""
    held = _HELD.get()
    if (
        held is not None
        and held.active
        and held.database is database
        and held.key == key
        and held.loop is asyncio.get_running_loop()
    ):
        return held
    return None


@asynccontextmanager
async def advisory_lock(
    database: Database, key: SessionKey, timeout: float | None
) -> AsyncIterator[bool]:
    """Hold the session's advisory lock in the block; yields False if *timeout* passed first.

    *timeout* None waits forever, 0 does not wait; otherwise the server's
    ``lock_timeout`` bounds the wait.
    """
    lock_id = advisory_key(database.settings.schema, *key)
    await database.prepare()
    # No lock_timeout among the connection's options: the run's own statements use
    # this connection too, and must not inherit the wait for the lock (a 1 ms bound
    # under session_busy="reject" made their row locks fail at once).
    options = []
    if database.server_version >= _CLIENT_CHECK_SINCE:
        options.append("-c client_connection_check_interval=1000")
    conn = await database.dedicated(*options)
    try:
        acquired = await _acquire(conn, lock_id, timeout, database)
        if not acquired:
            yield False
            return
        held = HeldLock(database, key, conn, asyncio.get_running_loop())
        token = _HELD.set(held)
        try:
            yield True
        finally:
            held.active = False
            try:
                _HELD.reset(token)
            except ValueError:  # finalised from another context (e.g. a garbage-collected run)
                _HELD.set(None)
            async with held.mutex:
                try:
                    await conn.execute("SELECT pg_advisory_unlock(%s)", [lock_id])
                except psycopg.Error:
                    pass  # the connection is gone, and with it the lock
    finally:
        await conn.close()


async def _acquire(
    conn: psycopg.AsyncConnection, lock_id: int, timeout: float | None, database: Database
) -> bool:
    try:
        if timeout is not None and timeout <= 0:
            cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", [lock_id])
            row = await cur.fetchone()
            return bool(row and row[0])
        if timeout is None:
            await conn.execute("SELECT pg_advisory_lock(%s)", [lock_id])
            return True
        # The bound applies to this wait only, then the connection's own setting is back.
        wait_ms = max(1, round(timeout * 1000))
        await conn.execute("SELECT set_config('lock_timeout', %s, false)", [f"{wait_ms}ms"])
        try:
            await conn.execute("SELECT pg_advisory_lock(%s)", [lock_id])
        finally:
            await conn.execute("RESET lock_timeout")
        return True
    except pg_errors.LockNotAvailable:
        return False
    except psycopg.Error as exc:
        raise operation_error(exc, database.settings, "waiting for the session lock") from exc
