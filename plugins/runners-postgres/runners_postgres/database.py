"""A service's access to PostgreSQL: pooled statements with runners-core errors.

The pool lives on a loop thread of the service's own (:mod:`.pool_thread`), so any
event loop can call the service. The first use anywhere also checks
the server and the schema version (and migrates an empty schema when the URL
allows it).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.abc import Params, Query
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from runners_postgres.connection import open_connection
from runners_postgres.errors import operation_error
from runners_postgres.migrations import ensure_schema
from runners_postgres.pool_thread import IdleCheck, PoolThread
from runners_postgres.settings import PostgresSettings

T = TypeVar("T")
# Deadlocks and serialisation failures roll the whole statement back: safe to repeat.
_REPEATABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
_ATTEMPTS = 3


class Database:
    """The pool of one service; every call borrows a connection through :meth:`run`."""

    def __init__(self, settings: PostgresSettings) -> None:
        self.settings = settings
        self.server_version = 0
        # The factory holds no reference to this object: the pool's thread must not
        # keep a dropped service alive.
        self._pool = PoolThread(
            functools.partial(new_pool, settings, IdleCheck()),
            open_timeout=settings.pool_timeout,
            # One connection stays for calls that cannot use their loop's own.
            max_kept=settings.pool_max - 1,
            name=f"runners-postgres:{settings.schema}",
            wait_timeout=settings.pool_timeout,
        )
        self._ready = False
        self._blocking = BlockingReader(settings)

    async def run(
        self,
        action: str,
        operation: Callable[[psycopg.AsyncConnection], Awaitable[T]],
        conn: psycopg.AsyncConnection | None = None,
    ) -> T:
        """Run *operation* on *conn* or a pooled connection; failures become runners-core errors.

        *action* completes "failed while ..." in messages. Deadlocks and serialisation
        failures are retried: the statements here are single transactions.
        """
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                if conn is not None:
                    return await operation(conn)
                if not self._ready:
                    await self.prepare()
                return await self._pool.run(operation)  # opening the pool may time out too
            except (psycopg.Error, PoolTimeout) as exc:
                if isinstance(exc, _REPEATABLE) and attempt < _ATTEMPTS:
                    continue
                raise operation_error(exc, self.settings, action) from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def fetch_one(
        self,
        action: str,
        query: Query,
        params: Params,
        conn: psycopg.AsyncConnection | None = None,
    ) -> tuple[Any, ...] | None:
        """The first row of one statement (itself a transaction)."""

        async def operation(c: psycopg.AsyncConnection) -> tuple[Any, ...] | None:
            return await (await c.execute(query, params)).fetchone()

        return await self.run(action, operation, conn)

    async def fetch_all(self, action: str, query: Query, params: Params) -> list[tuple[Any, ...]]:
        """Every row of one statement (itself a transaction)."""

        async def operation(c: psycopg.AsyncConnection) -> list[tuple[Any, ...]]:
            return await (await c.execute(query, params)).fetchall()

        return await self.run(action, operation)

    async def execute(self, action: str, query: Query, params: Params) -> int:
        """Run one statement (itself a transaction); the number of rows it changed."""

        async def operation(c: psycopg.AsyncConnection) -> int:
            return (await c.execute(query, params)).rowcount

        return await self.run(action, operation)

    def fetch_all_blocking(
        self, action: str, query: Query, params: Params
    ) -> list[tuple[Any, ...]]:
        """Every row of one statement, run synchronously on the calling thread.

        For reads that cannot await: the older events of a loaded session, read when
        a list index first reaches them. Blocks the caller (its event loop too) for
        one round trip.
        """
        try:
            return self._blocking.fetch_all(query, params)
        except psycopg.Error as exc:
            raise operation_error(exc, self.settings, action) from exc

    async def dedicated(self, *extra_options: str) -> psycopg.AsyncConnection:
        """A new connection outside the pools (the caller closes it)."""
        await self.prepare()
        return await open_connection(self.settings, *extra_options)

    async def close(self) -> None:
        """Close the pool (on its own thread)."""
        await self._pool.close()
        self._blocking.close()

    async def prepare(self) -> None:
        """Check the server and the schema once per service (again after a failure)."""
        if self._ready:
            return
        conn = await open_connection(self.settings)
        self.server_version = conn.info.server_version
        try:
            await ensure_schema(conn, self.settings)
        except psycopg.Error as exc:
            raise operation_error(exc, self.settings, "checking the schema") from exc
        finally:
            await conn.close()
        self._ready = True


def new_pool(settings: PostgresSettings, idle_check: IdleCheck) -> AsyncConnectionPool:
    """An unopened pool for *settings*, checking connections that idled (:class:`IdleCheck`)."""
    return AsyncConnectionPool(
        settings.conninfo,
        kwargs={"autocommit": True, "options": settings.connect_options()},
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        timeout=settings.pool_timeout,
        check=idle_check.check,
        reset=idle_check.returned,
        open=False,
        name=f"runners-postgres:{settings.schema}",
    )


class BlockingReader:
    """One synchronous connection for reads made outside any event loop's control.

    Opened on first use and shared by every thread (one statement at a time). After
    :meth:`close` a read still works on a connection opened for it alone, so a
    session loaded before the service closed stays readable.
    """

    def __init__(self, settings: PostgresSettings) -> None:
        self._settings = settings
        self._conn: psycopg.Connection | None = None
        self._mutex = threading.Lock()
        self._closed = False

    def fetch_all(self, query: Query, params: Params) -> list[tuple[Any, ...]]:
        with self._mutex:
            if self._closed:
                with self._connect() as conn:
                    return conn.execute(query, params).fetchall()
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            try:
                return self._conn.execute(query, params).fetchall()
            except psycopg.OperationalError:
                # A dropped connection (server restart): the next read opens a new one.
                self._conn.close()
                self._conn = None
                raise

    def close(self) -> None:
        with self._mutex:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connect(self) -> psycopg.Connection:
        settings = self._settings
        return psycopg.Connection.connect(
            settings.conninfo, autocommit=True, options=settings.connect_options()
        )
