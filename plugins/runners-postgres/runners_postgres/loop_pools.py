"""One connection pool per event loop, closed with that loop at the latest.

An asyncio connection (and psycopg_pool's workers) belong to the loop that
opened them, but a service is called from several loops: ``Runner.run`` drives
the async API on a background loop thread, applications and tests use their own.
So each loop gets its own pool, opened on first use there.

Closing: :meth:`LoopPools.close` closes each pool on its own loop. A loop that
shuts down first (``asyncio.run`` returning, a runner closing) finalises its
open async generators; each pool registers one, whose ``finally`` closes the
pool there while the loop can still run it. A loop closed without that
clean-up leaves a pool that can only be cut (:func:`_abandon`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

from psycopg_pool import AsyncConnectionPool

log = logging.getLogger("runners_postgres")

_CLOSE_TIMEOUT = 10.0


@dataclass(eq=False)
class _Entry:
    pool: AsyncConnectionPool
    guard: AsyncGenerator[None, None] | None = None
    abandoned: bool = False


async def _close_with_loop(entry: _Entry) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if not entry.abandoned:
            idle = _idle(entry.pool)
            try:
                await entry.pool.close()
            except (asyncio.CancelledError, Exception):
                # asyncio.run cancels every task, the pool's workers too, before it
                # finalises async generators; then the pool fails half-way through.
                _cut(entry.pool, idle)


class LoopPools:
    """The pools of one service, keyed by event loop; *factory* makes an unopened pool."""

    def __init__(self, factory: Callable[[], AsyncConnectionPool]) -> None:
        self._factory = factory
        self._entries: dict[asyncio.AbstractEventLoop, _Entry] = {}
        self._mutex = threading.Lock()
        self._closed = False

    def get_open(self) -> AsyncConnectionPool | None:
        """The running loop's pool if it has one already (the fast path)."""
        entry = self._entries.get(asyncio.get_running_loop())
        return None if entry is None else entry.pool

    async def get(self) -> AsyncConnectionPool:
        """The running loop's pool, opened on first use."""
        loop = asyncio.get_running_loop()
        entry = self._entries.get(loop)
        if entry is not None:
            return entry.pool
        fresh = _Entry(self._factory())
        # Opening without waiting only starts the pool's workers; a connection
        # problem surfaces in the first call as a PoolTimeout.
        await fresh.pool.open(wait=False)
        with self._mutex:
            if self._closed:
                winner = None
            else:
                winner = self._entries.setdefault(loop, fresh)
            dead = [lp for lp in self._entries if lp.is_closed()]
            stale = [self._entries.pop(lp) for lp in dead]
        for old in stale:
            _abandon(old)
        if winner is not fresh:  # closed meanwhile, or another task of this loop was first
            await fresh.pool.close()
            if winner is None:
                raise RuntimeError("this PostgreSQL service is closed; create a new one")
            return winner.pool
        fresh.guard = _close_with_loop(fresh)
        await anext(fresh.guard)  # now the loop finalises it at shutdown
        return fresh.pool

    async def close(self) -> None:
        """Close every pool: here, on its own running loop, or cut if its loop is gone."""
        with self._mutex:
            self._closed = True
            entries = list(self._entries.items())
            self._entries.clear()
        current = asyncio.get_running_loop()
        for loop, entry in entries:
            if loop is current:
                await _finish(entry)
            elif loop.is_running():
                future = asyncio.run_coroutine_threadsafe(_finish(entry), loop)
                try:
                    await asyncio.wait_for(asyncio.wrap_future(future), _CLOSE_TIMEOUT)
                except (TimeoutError, RuntimeError):
                    log.warning("closing a PostgreSQL pool on another event loop timed out")
            else:
                _abandon(entry)


async def _finish(entry: _Entry) -> None:
    if entry.guard is not None:
        await entry.guard.aclose()  # its finally closes the pool
    else:
        await entry.pool.close()


def _abandon(entry: _Entry) -> None:
    """Release a pool whose loop closed without finalising it: nothing can be awaited there.

    Its connections are cut and its worker coroutines closed so that garbage
    collection stays quiet. This reaches into psycopg_pool's internals,
    defensively: without them only the clean-up noise comes back.
    """
    entry.abandoned = True
    if entry.guard is not None:
        with contextlib.suppress(StopIteration, RuntimeError):
            entry.guard.aclose().send(None)  # runs its finally, which now awaits nothing
    _cut(entry.pool)


def _idle(pool: AsyncConnectionPool) -> list[Any]:
    return list(getattr(pool, "_pool", ()))


def _cut(pool: AsyncConnectionPool, idle: list[Any] | None = None) -> None:
    """Close a pool's idle connections and its workers without awaiting anything."""
    for conn in {id(c): c for c in [*(idle or ()), *_idle(pool)]}.values():
        if not conn.closed:
            conn.pgconn.finish()
    for task in [*getattr(pool, "_workers", ()), getattr(pool, "_sched_runner", None)]:
        if isinstance(task, asyncio.Task) and not task.done():
            with contextlib.suppress(RuntimeError):  # "Event loop is closed" while unwinding
                task.get_coro().close()
            task._log_destroy_pending = False  # type: ignore[attr-defined]
