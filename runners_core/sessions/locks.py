"""A keyed, FIFO, async lock that works across threads and event loops.

``Runner.run`` drives ``run_async`` on a private event loop in a worker thread,
so two invocations of one session may live on different loops; an
``asyncio.Lock`` cannot serialise them. Waiters here are futures on their own
loop, woken with ``call_soon_threadsafe`` in arrival order.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class KeyedLock:
    """One lock per key; keys with no holder and no waiter take no memory."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held: set[Hashable] = set()
        self._waiters: dict[Hashable, deque[asyncio.Future[None]]] = {}

    def locked(self, key: Hashable) -> bool:
        with self._mutex:
            return key in self._held

    def waiting(self, key: Hashable) -> int:
        """How many callers are queued for *key* now (tests use it to see a waiter blocked)."""
        with self._mutex:
            return len(self._waiters.get(key, ()))

    async def acquire(self, key: Hashable, timeout: float | None = None) -> bool:
        """Take the lock for *key*; False if *timeout* seconds pass first (0: don't wait)."""
        loop = asyncio.get_running_loop()
        with self._mutex:
            if key not in self._held:
                self._held.add(key)
                return True
            if timeout is not None and timeout <= 0:
                return False
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.setdefault(key, deque()).append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
            return True
        except (TimeoutError, asyncio.CancelledError) as exc:
            with self._mutex:
                queue = self._waiters.get(key)
                if queue is not None and waiter in queue:
                    queue.remove(waiter)
                    if not queue:
                        del self._waiters[key]
                    handed_over = False
                else:
                    # release() already handed us the lock: pass it on.
                    handed_over = True
            if handed_over:
                self.release(key)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return False

    def release(self, key: Hashable) -> None:
        with self._mutex:
            queue = self._waiters.get(key)
            while queue:
                waiter = queue.popleft()
                if not queue:
                    del self._waiters[key]
                    queue = None
                wloop = waiter.get_loop()
                if wloop.is_closed():
                    continue
                # Ownership passes directly to the waiter; the key stays held.
                wloop.call_soon_threadsafe(_resolve, waiter)
                return
            self._held.discard(key)

    @asynccontextmanager
    async def hold(self, key: Hashable, timeout: float | None = None) -> AsyncIterator[bool]:
        """Hold the lock inside the block; yields False (not holding) on timeout."""
        acquired = await self.acquire(key, timeout)
        try:
            yield acquired
        finally:
            if acquired:
                self.release(key)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
