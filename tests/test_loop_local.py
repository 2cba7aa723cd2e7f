"""LoopLocal: one client per event loop, each closed on its own loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from runners_core.errors import RunnersError
from runners_core.loop_local import LoopLocal


class Client:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.closed_on: asyncio.AbstractEventLoop | None = None


class Clients:
    """A LoopLocal of :class:`Client` that records every client it made."""

    def __init__(self, *, open_delay: float = 0.0) -> None:
        self.made: list[Client] = []
        self.open_delay = open_delay
        self.local: LoopLocal[Client] = LoopLocal(
            self.open, self.close, name="test clients", closed=lambda: RunnersError("closed")
        )

    async def open(self) -> Client:
        await asyncio.sleep(self.open_delay)
        self.made.append(Client())
        return self.made[-1]

    async def close(self, client: Client) -> None:
        client.closed_on = asyncio.get_running_loop()


@pytest.fixture
def other_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running on a thread of its own."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


async def test_each_loop_gets_its_own_client_and_close_runs_on_each(
    other_loop: asyncio.AbstractEventLoop,
) -> None:
    clients = Clients()
    here = await clients.local.get()
    assert await clients.local.get() is here
    there = asyncio.run_coroutine_threadsafe(clients.local.get(), other_loop).result(10)
    assert there is not here and there.loop is other_loop

    await clients.local.close()

    assert here.closed_on is asyncio.get_running_loop()
    assert there.closed_on is other_loop
    with pytest.raises(RunnersError, match="closed"):
        await clients.local.get()


async def test_concurrent_first_use_on_one_loop_keeps_one_client_and_closes_the_other() -> None:
    clients = Clients(open_delay=0.01)
    first, second = await asyncio.gather(clients.local.get(), clients.local.get())
    assert first is second
    assert len(clients.made) == 2
    loser = next(c for c in clients.made if c is not first)
    assert loser.closed_on is asyncio.get_running_loop() and first.closed_on is None


def test_a_closed_loops_client_is_forgotten_and_not_closed_again() -> None:
    clients = Clients()
    old = asyncio.run(clients.local.get())  # that loop is closed when run() returns

    async def use_and_close() -> Client:
        client = await clients.local.get()
        await clients.local.close()
        return client

    new = asyncio.run(use_and_close())
    assert new is not old
    assert new.closed_on is not None and old.closed_on is None
