"""Connection pools, one per event loop, shared by a service's calls.

``Runner.run`` drives the async API on a background loop thread while tests and
applications call it from their own loops; an asyncio connection belongs to the
loop that opened it. So each loop gets its own pool, opened on first use there.
The first use anywhere also checks the server and the schema version (and
migrates an empty schema when the URL allows it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
from runners_postgres.settings import PostgresSettings

log = logging.getLogger("runners_postgres")

T = TypeVar("T")
# Deadlocks and serialisation failures roll the whole statement back: safe to repeat.
_REPEATABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
_ATTEMPTS = 3
_CLOSE_TIMEOUT = 10.0


class Database:
    """The pools of one service; every call borrows a connection through :meth:`run`."""

    def __init__(self, settings: PostgresSettings) -> None:
        self.settings = settings
        self.server_version = 0
        self._pools: dict[asyncio.AbstractEventLoop, AsyncConnectionPool] = {}
        self._mutex = threading.Lock()
        self._ready = False
        self._closed = False

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
        pool = await self._pool() if conn is None else None
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                if pool is None:
                    return await operation(conn)  # type: ignore[arg-type]
                async with pool.connection() as pooled:
                    return await operation(pooled)
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

    async def dedicated(self, *extra_options: str) -> psycopg.AsyncConnection:
        """A new connection outside the pools (the caller closes it)."""
        await self.prepare()
        return await open_connection(self.settings, *extra_options)

    async def close(self) -> None:
        """Close every loop's pool: awaited here, on its own loop, or dropped if that loop died."""
        with self._mutex:
            self._closed = True
            pools = list(self._pools.items())
            self._pools.clear()
        current = asyncio.get_running_loop()
        for loop, pool in pools:
            if loop is current:
                await pool.close()
            elif loop.is_running():
                future = asyncio.run_coroutine_threadsafe(pool.close(), loop)
                try:
                    await asyncio.wait_for(asyncio.wrap_future(future), _CLOSE_TIMEOUT)
                except (TimeoutError, RuntimeError):
                    log.warning("closing a PostgreSQL pool on another event loop timed out")
            else:
                _abandon(pool)

    async def _pool(self) -> AsyncConnectionPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is not None:
            return pool
        await self.prepare()
        with self._mutex:
            if self._closed:
                raise RuntimeError("this PostgreSQL service is closed; create a new one")
            pool = self._pools.get(loop)
            if pool is None:
                pool = self._new_pool()
                self._pools[loop] = pool
                fresh = True
            else:
                fresh = False
            dead = [lp for lp in self._pools if lp.is_closed()]
            abandoned = [self._pools.pop(lp) for lp in dead]
        for old in abandoned:
            _abandon(old)
        if fresh:
            # Opening without waiting only starts the pool's workers; a connection
            # problem surfaces in the first call as a PoolTimeout, translated there.
            await pool.open(wait=False)
        return pool

    def _new_pool(self) -> AsyncConnectionPool:
        settings = self.settings
        return AsyncConnectionPool(
            settings.conninfo,
            kwargs={"autocommit": True, "options": settings.connect_options()},
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            timeout=settings.pool_timeout,
            check=AsyncConnectionPool.check_connection,
            open=False,
            name=f"runners-postgres:{settings.schema}",
        )

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


def _abandon(pool: AsyncConnectionPool) -> None:
    """Release a pool whose event loop is gone: nothing can be awaited there any more.

    Its connections are cut, and its worker coroutines closed so that they do not
    complain when garbage-collected. This reaches into psycopg_pool's internals,
    defensively: on a version without them only the clean-up noise comes back.
    """
    for conn in list(getattr(pool, "_pool", ())):
        conn.pgconn.finish()
    workers = [*getattr(pool, "_workers", ()), getattr(pool, "_sched_runner", None)]
    for task in workers:
        if isinstance(task, asyncio.Task) and not task.done():
            with contextlib.suppress(RuntimeError):  # "Event loop is closed" while unwinding
                task.get_coro().close()
            task._log_destroy_pending = False  # type: ignore[attr-defined]
