"""One connection pool per event loop, closed by the service or with its loop.

An asyncio connection (and psycopg_pool's workers) belong to the loop that
opened them, but a service is called from several loops: ``Runner.run`` drives
the async API on a background loop thread, applications and tests use their own.
So each loop gets its own pool, opened on first use there.

Every pool is held here until it is closed: garbage collection never tears a
pool's tasks down, which would run their clean-up on whichever thread happens
to collect them. A pool is closed, whichever comes first:

* by :meth:`LoopPools.close`, on its own loop (across threads with a bounded wait);
* with its loop: a loop shutting down (``asyncio.run`` returning, a runner
  closing) finalises its open async generators, and each pool registers one
  whose ``finally`` closes the pool while the loop can still run it;
* when the service is dropped without ``close()``: each live loop is asked,
  thread-safely, to close its pool itself;
* by cutting it (:func:`_abandon`) once its loop has closed without any of that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

from psycopg_pool import AsyncConnectionPool
from psycopg_pool.pool_async import MaintenanceTask, StopWorker

log = logging.getLogger("runners_postgres")

# The longest wait for one pool to close; past it the pool's connections are cut.
CLOSE_TIMEOUT = 10.0

# Pools being closed on their loop after their service was dropped (tasks need an owner).
_closing: set[asyncio.Task[None]] = set()


class CancellablePool(AsyncConnectionPool):
    """psycopg_pool's async pool, with maintenance workers that end when cancelled.

    psycopg_pool's jobs catch ``CancelledError`` (a cancelled connect is logged
    and retried later) and its worker loop does too, so a worker survives
    cancellation. ``asyncio.run`` cancels every task at exit and waits for all
    of them: a worker caught mid-job kept that wait, and the program, from
    ending. The cancellation request stays counted on the task
    (``Task.cancelling()``), so this worker ends once the job returns.
    """

    @classmethod
    async def worker(cls, q: asyncio.Queue[MaintenanceTask]) -> None:
        current = asyncio.current_task()
        while not isinstance(job := await q.get(), StopWorker):
            try:
                await job.run()
            except Exception as exc:  # one failed job must not stop the pool's maintenance
                log.warning("PostgreSQL pool job %r failed: %r", job, exc)
            if current is not None and current.cancelling():
                raise asyncio.CancelledError


@dataclass(eq=False)
class _Entry:
    loop: asyncio.AbstractEventLoop
    pool: AsyncConnectionPool
    guard: AsyncGenerator[None, None] | None = None
    finished: bool = False  # closed, being closed, or cut: nothing left to do


class LoopPools:
    """The pools of one service, keyed by event loop; *factory* makes an unopened pool."""

    def __init__(self, factory: Callable[[], AsyncConnectionPool]) -> None:
        self._factory = factory
        self._entries: dict[asyncio.AbstractEventLoop, _Entry] = {}
        self._mutex = threading.Lock()
        self._closed = False
        finalizer = weakref.finalize(self, _release, self._entries)
        finalizer.atexit = False  # at exit the loops are going away too

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
        fresh = _Entry(loop, self._factory())
        # Waiting for the first connections (pool timeout at most: PoolTimeout) spares
        # the first call a wait in the pool's queue, which would also start one more
        # connection, likely still connecting when a short-lived loop ends.
        try:
            await fresh.pool.open(wait=True, timeout=fresh.pool.timeout)
        except BaseException:
            await _close(fresh)
            raise
        with self._mutex:
            winner = None if self._closed else self._entries.setdefault(loop, fresh)
            stale = [self._entries.pop(lp) for lp in list(self._entries) if lp.is_closed()]
        for old in stale:
            _abandon(old)
        if winner is not fresh:  # closed meanwhile, or another task of this loop was first
            await _close(fresh)
            if winner is None:
                raise RuntimeError("this PostgreSQL service is closed; create a new one")
            return winner.pool
        fresh.guard = _close_with_loop(fresh)
        await anext(fresh.guard)  # now the loop finalises it at shutdown
        return fresh.pool

    async def close(self) -> None:
        """Close every pool on its own loop; waits at most CLOSE_TIMEOUT per pool."""
        with self._mutex:
            self._closed = True
            entries = list(self._entries.values())
            self._entries.clear()
        current = asyncio.get_running_loop()
        for entry in entries:
            if entry.loop is current:
                await _finish(entry)
            elif entry.loop.is_running():
                future = asyncio.run_coroutine_threadsafe(_finish(entry), entry.loop)
                try:
                    await asyncio.wait_for(asyncio.wrap_future(future), CLOSE_TIMEOUT)
                except (TimeoutError, RuntimeError):
                    log.warning("closing a PostgreSQL pool on another event loop timed out")
            else:
                _hand_over(entry)


async def _close_with_loop(entry: _Entry) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await _close(entry)


async def _close(entry: _Entry) -> None:
    """Close the pool on its own running loop; cut it when that fails or takes too long."""
    if entry.finished:
        return
    entry.finished = True
    idle = _idle(entry.pool)
    try:
        await asyncio.wait_for(entry.pool.close(), CLOSE_TIMEOUT)
    except asyncio.CancelledError:
        _cut(entry.pool, idle, loop_closed=False)
        raise
    except Exception as exc:
        log.warning("closing a PostgreSQL pool failed (%r); its connections were cut", exc)
        _cut(entry.pool, idle, loop_closed=False)


async def _finish(entry: _Entry) -> None:
    try:
        await _close(entry)
    finally:
        _drop_guard(entry)


def _hand_over(entry: _Entry) -> None:
    """Close a pool whose loop is not running here: ask that loop, or cut if it has closed.

    Nothing of another live loop is touched from this thread; a loop that never
    runs again drops the request when it closes.
    """
    if entry.finished:
        return
    try:
        entry.loop.call_soon_threadsafe(_start_finish, entry)
    except RuntimeError:  # the loop has closed
        _abandon(entry)


def _start_finish(entry: _Entry) -> None:
    task = entry.loop.create_task(_finish(entry))
    _closing.add(task)
    task.add_done_callback(_closing.discard)


def _release(entries: dict[asyncio.AbstractEventLoop, _Entry]) -> None:
    """A service was dropped without ``close()``: hand every pool back to its loop."""
    for entry in list(entries.values()):
        if entry.loop.is_closed():
            _abandon(entry)
        else:
            _hand_over(entry)
    entries.clear()


def _abandon(entry: _Entry) -> None:
    """Release a pool whose loop closed without finalising it: nothing can run there.

    Its connections are cut and its worker coroutines closed so that garbage
    collection stays quiet. This reaches into psycopg_pool's internals,
    defensively: without them only the clean-up noise comes back.
    """
    entry.finished = True
    _drop_guard(entry)
    _cut(entry.pool, loop_closed=True)


def _drop_guard(entry: _Entry) -> None:
    """Run a finished entry's guard to its end here (its ``finally`` awaits nothing now)."""
    guard, entry.guard = entry.guard, None
    if guard is not None:
        with contextlib.suppress(StopIteration, RuntimeError):  # or its loop is finalising it
            guard.aclose().send(None)


def _idle(pool: AsyncConnectionPool) -> list[Any]:
    return list(getattr(pool, "_pool", ()))


def _cut(pool: AsyncConnectionPool, idle: list[Any] | None = None, *, loop_closed: bool) -> None:
    """Close a pool's idle connections and stop its tasks without awaiting anything.

    On a running loop (this thread's) the tasks are cancelled; the coroutines of
    a closed loop's tasks can only be closed.
    """
    for conn in {id(c): c for c in [*(idle or ()), *_idle(pool)]}.values():
        if not conn.closed:
            conn.pgconn.finish()
    for task in [*getattr(pool, "_workers", ()), getattr(pool, "_sched_runner", None)]:
        if not isinstance(task, asyncio.Task) or task.done():
            continue
        if not loop_closed:
            task.cancel()
            continue
        with contextlib.suppress(RuntimeError):  # "Event loop is closed" while unwinding
            task.get_coro().close()
        task._log_destroy_pending = False  # type: ignore[attr-defined]
