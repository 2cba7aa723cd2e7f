"""One client per running event loop, for drivers whose connections belong to a loop.

An asyncio connection (redis-py's, aiohttp's under aiobotocore) belongs to the
loop that opened it, yet one service is called from several loops:
``Runner.run`` drives the async API on a background loop thread, applications
and tests run their own. :class:`LoopLocal` hands out the running loop's client,
made on first use there; forgets the clients of loops that have closed (their
sockets went with them); and closes every client on its own loop when the
service closes. Backends use it as::

    self._clients = LoopLocal(open_client, close_client, name=redacted_url,
                              closed=lambda: RunnersError("... is closed; create a new one"))
    client = await self._clients.get()
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

log = logging.getLogger("runners_core")

T = TypeVar("T")

CLOSE_TIMEOUT = 5.0
"""The longest wait for one client to close on another thread's loop."""


class LoopLocal(Generic[T]):
    """The running loop's client: made by *open* on first use, ended by *close*.

    *name* says whose clients these are in log lines (no secret in it: a redacted
    URL). After :meth:`close`, :meth:`get` raises the error *closed* returns (say
    which service is closed and to create a new one).
    """

    def __init__(
        self,
        open: Callable[[], Awaitable[T]],
        close: Callable[[T], Coroutine[Any, Any, object]],
        *,
        name: str,
        closed: Callable[[], Exception],
    ) -> None:
        self._open = open
        self._close = close
        self._name = name
        self._closed_error = closed
        self._clients: dict[asyncio.AbstractEventLoop, T] = {}
        self._mutex = threading.Lock()
        self._closed = False

    async def get(self) -> T:
        """The running loop's client, opened on first use there."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is not None:
            return client
        with self._mutex:
            if self._closed:
                raise self._closed_error()
            for old in [old for old in self._clients if old.is_closed()]:
                del self._clients[old]  # loops that ended took their connections along
        fresh = await self._open()
        with self._mutex:
            winner = None if self._closed else self._clients.setdefault(loop, fresh)
        if winner is not fresh:  # closed meanwhile, or another task of this loop was first
            await self._close(fresh)
            if winner is None:
                raise self._closed_error()
        return winner

    async def close(self) -> None:
        """Close every loop's client, each on its own loop; later calls to :meth:`get` fail.

        A client of a loop that is neither this one nor running cannot be closed from
        here: it is dropped, and its connections end with its loop.
        """
        with self._mutex:
            self._closed = True
            clients = list(self._clients.items())
            self._clients.clear()
        current = asyncio.get_running_loop()
        for loop, client in clients:
            try:
                if loop is current:
                    await self._close(client)
                elif loop.is_running():
                    future = asyncio.run_coroutine_threadsafe(self._close(client), loop)
                    await asyncio.wait_for(asyncio.wrap_future(future), CLOSE_TIMEOUT)
            except Exception as exc:
                log.warning("closing a client of %s failed (%s)", self._name, type(exc).__name__)
