"""A service's connection pool, on an event loop of its own.

psycopg_pool's ``AsyncConnectionPool`` and its maintenance tasks belong to the
loop that opened them, yet one service is called from several loops:
``Runner.run`` drives the async API on a background loop thread, applications
and tests run their own, and ``asyncio.run`` cancels and awaits every task of
its loop when it returns (psycopg_pool's workers survive a cancellation while
they run a job, which used to hang the program there). So the pool is opened on
a loop thread the service owns, started on first use, and no caller's loop ever
holds a task of the pool. Only public asyncio, psycopg and psycopg_pool APIs
are involved.

A psycopg connection itself is not tied to a loop, only used by one task at a
time. Each calling loop therefore borrows pooled connections and keeps them
(:class:`_Kept`): its statements run on the caller's loop with no thread
hand-off, which on a busy machine costs more than the statement (each hand-off
wakes the other thread through a socket, and the two threads then trade the GIL).
A loop keeps one connection per statement it runs at once, up to *max_kept*
connections for all loops together; a statement finding its loop's connections
busy and no room for another waits on its own loop for one of them (first come,
first served; at most *wait_timeout* seconds, then ``PoolTimeout``, as a wait in the
pool's own queue would), and only a loop keeping none runs its statements on the pool's
thread (``asyncio.run_coroutine_threadsafe``, awaited with
``asyncio.wrap_future``: cancelling the caller cancels it). A kept connection
goes back to the pool when it breaks, when its loop is found closed, and when the
service closes.

The thread ends with the pool: :meth:`PoolThread.close` gives the kept
connections back, closes the pool on that thread (waiting at most
:data:`CLOSE_TIMEOUT`) and stops its loop; a service dropped without
``close()`` does the same from a finalizer, without waiting. A process forked
after the first use starts a thread of its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool, PoolTimeout

log = logging.getLogger("runners_postgres")

T = TypeVar("T")
Operation = Callable[[psycopg.AsyncConnection], Awaitable[T]]

# The longest wait for the pool to close; past it, the thread finishes the close alone.
CLOSE_TIMEOUT = 10.0
# A connection idle longer than this is checked with a round trip before use.
CHECK_AFTER_IDLE = 0.5


class PoolThread:
    """One service's pool on its own loop thread; *factory* makes an unopened pool.

    The pool is opened on first use, waiting at most *open_timeout* seconds for its
    first connections; a failed opening is retried with a fresh pool on the next call.
    Calling loops keep at most *max_kept* connections between them.
    """

    def __init__(
        self,
        factory: Callable[[], AsyncConnectionPool],
        *,
        open_timeout: float,
        max_kept: int,
        name: str,
        wait_timeout: float | None = None,
    ) -> None:
        self._factory = factory
        self._open_timeout = open_timeout
        self._max_kept = max_kept
        self._wait_timeout = wait_timeout
        self._name = name
        self._mutex = threading.Lock()
        self._closed = False
        # Held in a list the finalizer shares: a service dropped without close() stops it.
        self._homes: list[_Home] = []
        finalizer = weakref.finalize(self, _stop_all, self._homes)
        finalizer.atexit = False  # daemon threads end with the interpreter anyway

    async def run(self, operation: Operation[T]) -> T:
        """Run *operation* on a pooled connection; its outcome, on the caller's loop."""
        home = self._home()
        loop = asyncio.get_running_loop()
        deadline = None if self._wait_timeout is None else loop.time() + self._wait_timeout
        while True:
            own = home.claim(loop)
            if own is None and loop not in home.kept:
                for old in home.forget_closed_loops():
                    await home.give_back(old.conn)
            if own is None and home.reserve(loop, self._max_kept):
                own = await self._keep(home, loop)
            if own is None:
                waiter = home.wait(loop)
                if waiter is None:  # this loop keeps no connection: the pool's thread runs it
                    return await home.call(home.use(operation))
                own = await _handed(home, loop, waiter, deadline, self._wait_timeout)
                if own is None:  # a connection broke or the service is closing: look again
                    continue
            return await self._run_kept(home, loop, own, operation)

    async def close(self) -> None:
        """Close the pool on its thread and end the thread; waits at most CLOSE_TIMEOUT."""
        with self._mutex:
            self._closed = True
            homes, self._homes[:] = list(self._homes), []
        for home in homes:
            future = home.stop()
            if future is None:
                continue
            done, _ = await asyncio.wait([asyncio.wrap_future(future)], timeout=CLOSE_TIMEOUT)
            if not done:  # not cancelled: the thread finishes the close alone
                log.warning("closing the PostgreSQL pool %s timed out", self._name)

    async def _keep(self, home: _Home, loop: asyncio.AbstractEventLoop) -> _Own | None:
        """Borrow one more connection for *loop* to keep (its slot is reserved); claimed."""
        try:
            conn = await home.call(home.borrow())
        except BaseException:
            home.unreserve(loop)
            raise
        own = home.keep(loop, _Own(conn, busy=True))
        if own is None:  # closing meanwhile
            await home.give_back(conn)
        return own

    async def _run_kept(
        self, home: _Home, loop: asyncio.AbstractEventLoop, own: _Own, operation: Operation[T]
    ) -> T:
        conn = own.conn
        healthy = True
        try:
            if time.monotonic() - own.used > CHECK_AFTER_IDLE:
                try:
                    await AsyncConnectionPool.check_connection(conn)
                except psycopg.Error:
                    healthy = False  # dropped below; this call goes through the pool
            if healthy:
                return await operation(conn)
        except BaseException:
            healthy = not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE
            raise
        finally:
            if home.release(loop, own, keep=healthy):
                await home.give_back(conn)
        return await home.call(home.use(operation))

    def _home(self) -> _Home:
        home = self._homes[0] if self._homes else None
        if home is not None and home.pid == os.getpid():
            return home
        with self._mutex:
            if self._closed:
                raise _closed_error()
            if self._homes and self._homes[0].pid == os.getpid():
                return self._homes[0]
            # First use, or first use in a forked child: the parent's thread is not here.
            self._homes[:] = [
                _Home(self._factory, open_timeout=self._open_timeout, name=self._name)
            ]
            return self._homes[0]


@dataclass(eq=False)
class _Own:
    """A connection a calling loop keeps, and whether one of its tasks is using it."""

    conn: psycopg.AsyncConnection
    busy: bool = False
    # When it was last used (monotonic); the pool has just checked a borrowed one.
    used: float = field(default_factory=time.monotonic)


@dataclass(eq=False)
class _Kept:
    """The connections one calling loop keeps, and its tasks waiting for one (FIFO)."""

    conns: list[_Own] = field(default_factory=list)
    pending: int = 0  # connections being borrowed for it
    waiters: deque[asyncio.Future[_Own | None]] = field(default_factory=deque)


async def _handed(
    home: _Home,
    loop: asyncio.AbstractEventLoop,
    waiter: asyncio.Future[_Own | None],
    deadline: float | None,
    wait_timeout: float | None,
) -> _Own | None:
    """The connection handed to *waiter* by *deadline* (loop time, None: no limit).

    A waiter cancelled or timed out passes a connection handed to it meanwhile on;
    past the deadline, ``PoolTimeout``.
    """
    try:
        if deadline is None:
            return await waiter
        async with asyncio.timeout_at(deadline):
            return await waiter
    except (asyncio.CancelledError, TimeoutError):
        if waiter.done() and not waiter.cancelled() and (own := waiter.result()) is not None:
            if home.release(loop, own, keep=True):
                await home.give_back(own.conn)
        if not waiter.done():
            waiter.cancel()
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
        raise PoolTimeout(
            f"every connection this event loop keeps stayed busy for {wait_timeout:g}s"
        ) from None


class _Home:
    """A loop running on a daemon thread, the pool opened on it, the kept connections."""

    def __init__(
        self, factory: Callable[[], AsyncConnectionPool], *, open_timeout: float, name: str
    ) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.kept: dict[asyncio.AbstractEventLoop, _Kept] = {}
        self._count = 0  # connections kept by all loops, and slots reserved for them
        self._factory = factory
        self._open_timeout = open_timeout
        self._pool: AsyncConnectionPool | None = None
        self._opening: asyncio.Lock | None = None  # made on the loop, where it is used
        self._mutex = threading.Lock()  # guards kept, busy flags and stopped
        self._stopped = False
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
            # A maintenance job the close did not wait for (a connection attempt
            # still under way) ends on its own, bounded by the connect timeout.
            pending = asyncio.all_tasks(self.loop)
            if pending:
                self.loop.run_until_complete(asyncio.wait(pending))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()

    # ------------------------------------------------------------ from any thread

    async def call(self, work: Awaitable[T]) -> T:
        """Await *work* (a coroutine) on the pool's loop, from the caller's loop."""
        if self._stopped:
            work.close()  # type: ignore[attr-defined]
            raise _closed_error()
        try:
            future = asyncio.run_coroutine_threadsafe(work, self.loop)  # type: ignore[arg-type]
        except RuntimeError:  # its loop closed after close() began
            work.close()  # type: ignore[attr-defined]
            raise _closed_error() from None
        return await asyncio.wrap_future(future)

    def reserve(self, loop: asyncio.AbstractEventLoop, max_kept: int) -> bool:
        """Take a slot for *loop* to keep one more connection, if under *max_kept* in all."""
        with self._mutex:
            if self._stopped or self._count >= max_kept:
                return False
            self._count += 1
            self.kept.setdefault(loop, _Kept()).pending += 1
            return True

    def unreserve(self, loop: asyncio.AbstractEventLoop) -> None:
        """The borrowing failed: free the slot; a waiter looks again (on *loop*)."""
        with self._mutex:
            self._count -= 1
            kept = self.kept.get(loop)
            if kept is not None:
                kept.pending -= 1
                _wake(kept.waiters, everyone=self._stopped)

    def keep(self, loop: asyncio.AbstractEventLoop, own: _Own) -> _Own | None:
        """Keep *own* in *loop*'s reserved slot; None if the service is closing (on *loop*)."""
        with self._mutex:
            kept = self.kept.setdefault(loop, _Kept())
            kept.pending -= 1
            if self._stopped:
                self._count -= 1
                _wake(kept.waiters, everyone=True)
                return None
            kept.conns.append(own)
            return own

    def claim(self, loop: asyncio.AbstractEventLoop) -> _Own | None:
        """An idle connection *loop* keeps, now marked busy; None if there is none."""
        with self._mutex:
            kept = self.kept.get(loop)
            if kept is None or self._stopped:
                return None
            for own in kept.conns:
                if not own.busy:
                    own.busy = True
                    return own
            return None

    def wait(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[_Own | None] | None:
        """A future of the next connection of *loop* released; None if *loop* keeps none."""
        with self._mutex:
            kept = self.kept.get(loop)
            if kept is None or not (kept.conns or kept.pending) or self._stopped:
                return None
            waiter: asyncio.Future[_Own | None] = loop.create_future()
            kept.waiters.append(waiter)
            return waiter

    def release(self, loop: asyncio.AbstractEventLoop, own: _Own, *, keep: bool) -> bool:
        """Hand *own* to the next waiter or mark it free; True if it must be given back.

        Runs on *loop*, which owns the waiters. A connection given back (broken, or
        closing) wakes a waiter with None, to look again; closing wakes them all.
        """
        with self._mutex:
            own.used = time.monotonic()
            kept = self.kept.get(loop)
            waiters = kept.waiters if kept is not None else deque()
            if keep and not self._stopped:
                while waiters:
                    waiter = waiters.popleft()
                    if not waiter.done():
                        waiter.set_result(own)  # still busy: it changes hands
                        return False
                own.busy = False
                return False
            own.busy = False
            if kept is not None and own in kept.conns:
                kept.conns.remove(own)
                self._count -= 1
            _wake(waiters, everyone=self._stopped)
            return True

    def forget_closed_loops(self) -> list[_Own]:
        """Drop the connections of loops found closed (the caller gives them back)."""
        with self._mutex:
            gone = [self.kept.pop(lp) for lp in list(self.kept) if lp.is_closed()]
            # A borrowing under way for a closed loop never finishes: its slot is freed too.
            self._count -= sum(len(kept.conns) + kept.pending for kept in gone)
            return [own for kept in gone for own in kept.conns]

    async def give_back(self, conn: psycopg.AsyncConnection) -> None:
        """Return a kept connection to the pool, or close it here if the pool is closing."""
        try:
            await self.call(self._put(conn))
        except RuntimeError:  # stopped: the pool closes without it
            await conn.close()

    def stop(self) -> concurrent.futures.Future[None] | None:
        """Close the pool and end the thread; a future of that, or None if nothing is left."""
        with self._mutex:
            if self._stopped or self.pid != os.getpid():
                return None
            self._stopped = True
        work = self._shutdown()
        try:
            return asyncio.run_coroutine_threadsafe(work, self.loop)
        except RuntimeError:  # the loop has closed already
            work.close()
            return None

    # ------------------------------------------------------------ on the pool's loop

    async def use(self, operation: Operation[T]) -> T:
        pool = self._pool if self._pool is not None else await self._open()
        async with pool.connection() as conn:
            return await operation(conn)

    async def borrow(self) -> psycopg.AsyncConnection:
        pool = self._pool if self._pool is not None else await self._open()
        return await pool.getconn()

    async def _put(self, conn: psycopg.AsyncConnection) -> None:
        if self._pool is None:
            await conn.close()
        else:  # a closed pool closes it; a broken one is discarded
            await self._pool.putconn(conn)

    async def _open(self) -> AsyncConnectionPool:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._stopped:
                raise _closed_error()
            if self._pool is None:
                pool = self._factory()
                # Waiting for the first connections spares the first calls a wait in
                # the pool's queue (PoolTimeout if they do not come in time).
                try:
                    await pool.open(wait=True, timeout=self._open_timeout)
                except BaseException:
                    await pool.close()
                    raise
                self._pool = pool
            return self._pool

    async def _shutdown(self) -> None:
        # Kept connections in use are given back when their call ends, on their loop,
        # which then wakes that loop's waiters (they find the service closed).
        with self._mutex:
            idle = [own for kept in self.kept.values() for own in kept.conns if not own.busy]
            for kept in self.kept.values():
                kept.conns[:] = [own for own in kept.conns if own.busy]
            self._count -= len(idle)
        try:
            for own in idle:
                await self._put(own.conn)
            if self._opening is None:
                self._opening = asyncio.Lock()
            async with self._opening:  # an opening under way finishes first
                if self._pool is not None:
                    await self._pool.close(timeout=CLOSE_TIMEOUT)
        except Exception as exc:
            log.warning("closing a PostgreSQL pool failed: %r", exc)
        finally:
            self.loop.stop()


def _wake(waiters: deque[asyncio.Future[_Own | None]], *, everyone: bool) -> None:
    """Wake the first waiter still waiting (or all of them) to look again: no connection."""
    while waiters:
        waiter = waiters.popleft()
        if not waiter.done():
            waiter.set_result(None)
            if not everyone:
                return


def _closed_error() -> RuntimeError:
    return RuntimeError("this PostgreSQL service is closed; create a new one")


def _stop_all(homes: list[_Home]) -> None:
    """The service was dropped without ``close()``: stop its pool's thread, without waiting."""
    for home in homes:
        home.stop()
    homes.clear()


class IdleCheck:
    """psycopg_pool ``check``/``reset`` callbacks: test a connection only after it idled.

    Checking every borrowed connection costs a round trip per statement. A
    connection back from use less than :data:`CHECK_AFTER_IDLE` seconds ago was
    working then; a server restart (or a network cut) takes longer than that, so
    connections that lived through one are still checked and replaced.
    """

    def __init__(self) -> None:
        self._returned: weakref.WeakKeyDictionary[psycopg.AsyncConnection, float] = (
            weakref.WeakKeyDictionary()
        )

    async def returned(self, conn: psycopg.AsyncConnection) -> None:
        self._returned[conn] = time.monotonic()

    async def check(self, conn: psycopg.AsyncConnection) -> None:
        last = self._returned.get(conn)
        if last is None or time.monotonic() - last > CHECK_AFTER_IDLE:
            await AsyncConnectionPool.check_connection(conn)
