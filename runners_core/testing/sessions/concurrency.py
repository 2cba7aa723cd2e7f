"""Concurrent writers in one process: nothing acknowledged is lost, runs never interleave."""

from __future__ import annotations

import asyncio

import pytest

from runners_core.errors import SessionBusyError
from runners_core.sessions.base import BaseSessionService
from runners_core.testing.builders import state_event, user_event
from runners_core.testing.sessions.suite import SessionSuite, ids, key_of

CAPABILITY = None

WRITERS = 20


class Concurrency(SessionSuite):
    async def test_concurrent_appends_lose_nothing(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)

        async def writer(n: int) -> str:
            own = await self.reload(service, session)  # each task has its own (stale) copy
            event = state_event({f"w{n}": n, "user:last": n, "app:seen": True})
            return (await service.append_event(own, event)).id

        written = await asyncio.gather(*(writer(n) for n in range(WRITERS)))
        loaded = await self.reload(service, session)
        missing = sorted(set(written) - set(ids(loaded)))
        assert not missing, (
            f"concurrent appends: {len(missing)} of {WRITERS} events appended by concurrent "
            f"tasks were lost: {missing}"
        )
        assert len(loaded.events) == WRITERS, (
            f"concurrent appends: stored {len(loaded.events)} events for {WRITERS} appends"
        )
        lost_keys = [n for n in range(WRITERS) if loaded.state.get(f"w{n}") != n]
        assert not lost_keys, (
            "concurrent appends: state deltas of concurrent appends overwrote each other; "
            f"keys of writers {lost_keys} are missing"
        )

    async def test_concurrent_retries_of_one_event_store_it_once(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        event = user_event("retried")
        copies = [await self.reload(service, session) for _ in range(WRITERS)]
        await asyncio.gather(*(service.append_event(c, event) for c in copies))
        stored = ids(await self.reload(service, session))
        assert stored == [event.id], (
            f"idempotent append: {WRITERS} concurrent appends of event id {event.id} stored "
            f"it {stored.count(event.id)} times"
        )

    async def test_lock_session_serialises_tasks(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        key = key_of(session)
        inside = 0
        overlaps = 0

        async def run(n: int) -> None:
            nonlocal inside, overlaps
            async with service.lock_session(**key):
                inside += 1
                overlaps += inside > 1
                current = await self.reload(service, session)
                await asyncio.sleep(0)
                count = current.state.get("count", 0)
                await service.append_event(current, state_event({"count": count + 1}))
                inside -= 1

        await asyncio.gather(*(run(n) for n in range(10)))
        assert overlaps == 0, f"run lock: {overlaps} runs entered lock_session while held"
        assert (await self.reload(service, session)).state.get("count") == 10, (
            "run lock: read-modify-write under lock_session lost updates"
        )

    async def test_lock_session_timeout_raises_busy(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        key = key_of(session)
        async with service.lock_session(**key):
            with pytest.raises(SessionBusyError):
                async with service.lock_session(**key, timeout=0):
                    pass
        async with service.lock_session(**key, timeout=0):
            pass  # released: free again
