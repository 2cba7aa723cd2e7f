"""The run lease between service instances (as separate processes would hold it).

Expiry is simulated by deleting the lease key (what the server does when the lease
runs out), and waiters are proven blocked by the lease code path itself (a failed
acquire attempt, a renewal, a noticed loss), never by sleeping and hoping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any, ClassVar

import pytest
import redis
from runners_redis import lease as lease_module
from runners_redis.connections import RedisConnections
from runners_redis.keys import KeySpace
from runners_redis.sessions import RedisSessionService

from runners_core import BaseAgent, Content, Event, EventActions, InvocationContext, Runner
from runners_core.errors import LeaseLostError, RetryableBackendError, SessionBusyError
from runners_core.state_ops import StateOp
from runners_core.testing.builders import agent_event, user_event


@pytest.fixture
async def two(make_url: Callable[..., str]) -> AsyncIterator[tuple[RedisSessionService, ...]]:
    """Two services on the same storage: each has its own in-process lock, like two hosts."""
    first = RedisSessionService(make_url(lease=0.3))
    second = RedisSessionService(make_url(lease=0.3))
    yield first, second
    await first.close()
    await second.close()


@pytest.fixture
async def long_leases(
    make_url: Callable[..., str],
) -> AsyncIterator[tuple[RedisSessionService, ...]]:
    """Two "hosts" whose leases never run out during a test: expiry is done by hand."""
    first = RedisSessionService(make_url(lease=60))
    second = RedisSessionService(make_url(lease=60))
    yield first, second
    await first.close()
    await second.close()


@pytest.fixture
def failed_acquires(monkeypatch: pytest.MonkeyPatch) -> asyncio.Queue[str]:
    """Every acquire attempt the lease code makes that finds the lease taken, by key."""
    seen: asyncio.Queue[str] = asyncio.Queue()
    run = RedisConnections.run

    async def recording(
        self: RedisConnections, script: Any, keys: list[str], args: list[Any], **options: Any
    ) -> Any:
        got = await run(self, script, keys, args, **options)
        if script is lease_module.ACQUIRE and not got:
            seen.put_nowait(keys[0])
        return got

    monkeypatch.setattr(RedisConnections, "run", recording)
    return seen


def _lock(service: RedisSessionService, timeout: float | None, session: str = "s") -> Any:
    return service.lock_session(app_name="a", user_id="u", session_id=session, timeout=timeout)


async def test_second_holder_is_refused_until_release(
    two: tuple[RedisSessionService, ...], raw_redis: redis.Redis, prefix: str
) -> None:
    first, second = two
    key = KeySpace(prefix).lock("a", "u", "s")
    async with _lock(first, None):
        assert raw_redis.exists(key)
        with pytest.raises(SessionBusyError, match="did not wait"):
            async with _lock(second, 0):
                pytest.fail("entered a held lease")
        with pytest.raises(SessionBusyError, match="waited 0.2s"):
            async with _lock(second, 0.2):
                pytest.fail("entered a held lease")
        # Other sessions are not affected.
        async with _lock(second, 0, session="t"):
            pass
    assert not raw_redis.exists(key)
    async with _lock(second, 0):
        pass


async def test_renewal_keeps_the_lease_past_its_length(
    two: tuple[RedisSessionService, ...], raw_redis: redis.Redis, prefix: str
) -> None:
    first, second = two
    key = KeySpace(prefix).lock("a", "u", "s")
    async with _lock(first, None):
        lease = first.held_lease("a", "u", "s")
        assert lease is not None
        # Four renewals, one every third of the lease: past its length, only renewal kept it.
        await asyncio.wait_for(lease.wait_renewals(4), timeout=10)
        assert raw_redis.get(key) == lease.token
        assert 0 < raw_redis.pttl(key) <= 300
        with pytest.raises(SessionBusyError):
            async with _lock(second, 0):
                pass
    assert first.held_lease("a", "u", "s") is None


async def test_a_waiter_is_blocked_until_the_holder_leaves(
    long_leases: tuple[RedisSessionService, ...],
    failed_acquires: asyncio.Queue[str],
    prefix: str,
) -> None:
    first, second = long_leases
    order: list[str] = []
    async with _lock(first, None):
        order.append("first in")

        async def waiter() -> None:
            async with _lock(second, None):
                order.append("second in")

        task = asyncio.create_task(waiter())
        # The waiter has tried the lease and found it taken (twice: it keeps polling).
        for _ in range(2):
            key = await asyncio.wait_for(failed_acquires.get(), timeout=10)
            assert key == KeySpace(prefix).lock("a", "u", "s")
        assert not task.done()
        order.append("first out")
    await asyncio.wait_for(task, timeout=10)
    assert order == ["first in", "first out", "second in"]


async def test_release_never_deletes_someone_elses_lease(
    two: tuple[RedisSessionService, ...],
    raw_redis: redis.Redis,
    prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, _ = two
    key = KeySpace(prefix).lock("a", "u", "s")
    with caplog.at_level(logging.ERROR, logger="runners_redis.lease"):
        async with _lock(first, None):
            lease = first.held_lease("a", "u", "s")
            assert lease is not None
            raw_redis.set(key, "another-holder", px=60_000)  # our lease was taken over
            await asyncio.wait_for(lease.lost.wait(), timeout=10)  # the renewer noticed
    assert raw_redis.get(key) == "another-holder"
    assert "was lost" in caplog.text


async def _session(service: RedisSessionService, session_id: str = "s") -> Any:
    return await service.create_session(app_name="a", user_id="u", session_id=session_id)


async def test_a_holder_whose_lease_was_taken_over_cannot_append(
    long_leases: tuple[RedisSessionService, ...], raw_redis: redis.Redis, prefix: str
) -> None:
    first, second = long_leases
    key = KeySpace(prefix).lock("a", "u", "s")
    await _session(first)
    async with _lock(first, None):
        session = await first.get_session(app_name="a", user_id="u", session_id="s")
        await first.append_event(session, user_event("while held"))
        raw_redis.delete(key)  # the lease ran out while this holder was stalled...
        async with _lock(second, 0):  # ...and another process took the session
            other = await second.get_session(app_name="a", user_id="u", session_id="s")
            await second.append_event(other, agent_event(state_delta={"n": 2}))
            stale = agent_event(state_delta={"n": 1, "user:n": 1})
            with pytest.raises(LeaseLostError, match="lost its run lease") as refused:
                await first.append_event(session, stale)
            assert isinstance(refused.value, RetryableBackendError)
            assert stale.id in str(refused.value) and "?lease=" in str(refused.value)
            # Nothing of the refused write was stored, and the local session is untouched.
            assert session.state.get("n") is None
            # The batch path (import_events) is fenced too.
            with pytest.raises(LeaseLostError):
                await first.import_events(
                    app_name="a", user_id="u", session_id="s", events=[agent_event(), agent_event()]
                )
        stored = await first.get_session(app_name="a", user_id="u", session_id="s")
        assert [e.content.parts[0].text for e in stored.events if e.author == "user"] == [
            "while held"
        ]
        assert len(stored.events) == 2
        assert stored.state == {"n": 2}
    # Writers that hold no lease are not fenced: a later holder writes normally.
    async with _lock(first, 0):
        session = await first.get_session(app_name="a", user_id="u", session_id="s")
        await first.append_event(session, agent_event(state_delta={"n": 3}))
    await first.append_event(session, agent_event(state_delta={"n": 4}))
    stored = await first.get_session(app_name="a", user_id="u", session_id="s")
    assert stored.state == {"n": 4}


async def test_a_state_op_append_is_fenced_too(
    long_leases: tuple[RedisSessionService, ...], raw_redis: redis.Redis, prefix: str
) -> None:
    first, _ = long_leases
    await _session(first)
    async with _lock(first, None):
        session = await first.get_session(app_name="a", user_id="u", session_id="s")
        raw_redis.set(KeySpace(prefix).lock("a", "u", "s"), "someone-else", px=60_000)
        event = agent_event()
        event.actions.state_ops = [StateOp(op="increment", key="user:count", value=1)]
        with pytest.raises(LeaseLostError):
            await first.append_event(session, event)
    assert await first.get_user_state(app_name="a", user_id="u") == {}


class _StallingCounter(BaseAgent):
    """Reads the session's counter, stalls until released, then writes counter + 1."""

    gates: ClassVar[dict[str, Any]] = {}

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        seen = ctx.session.state.get("counter", 0)
        gate = self.gates.get(ctx.invocation_id)
        if gate is not None:
            reading, release = gate
            reading.set()
            await release.wait()
        yield Event(
            author=self.name,
            invocation_id=ctx.invocation_id,
            content=Content.from_text(f"counter {seen + 1}"),
            actions=EventActions(state_delta={"counter": seen + 1}),
        )


async def test_a_stalled_run_cannot_overwrite_the_run_that_took_its_session(
    long_leases: tuple[RedisSessionService, ...], raw_redis: redis.Redis, prefix: str
) -> None:
    """The read-modify-write counter of issue 11: the stale run is refused, none is lost."""
    first, second = long_leases
    await _session(first)
    agent = _StallingCounter(name="counter")
    slow = Runner(app_name="a", agent=agent, session_service=first)
    fast = Runner(app_name="a", agent=agent, session_service=second)
    reading, release = asyncio.Event(), asyncio.Event()
    _StallingCounter.gates = {"stalled": (reading, release)}

    async def stalled_run() -> list[Event]:
        return [
            event
            async for event in slow.run_async(
                user_id="u",
                session_id="s",
                new_message=Content.from_text("go"),
                invocation_id="stalled",
            )
        ]

    task = asyncio.create_task(stalled_run())
    await asyncio.wait_for(reading.wait(), timeout=10)  # it read counter 0 and stalls
    raw_redis.delete(KeySpace(prefix).lock("a", "u", "s"))  # its lease runs out
    for _ in range(3):  # meanwhile three runs go through on the other host
        async for _event in fast.run_async(
            user_id="u", session_id="s", new_message=Content.from_text("go")
        ):
            pass
    release.set()
    with pytest.raises(LeaseLostError):
        await asyncio.wait_for(task, timeout=10)
    # Retried, the stalled invocation reads the current value: the counter serialises.
    _StallingCounter.gates = {}
    async for _event in slow.run_async(
        user_id="u", session_id="s", new_message=Content.from_text("go")
    ):
        pass
    stored = await first.get_session(app_name="a", user_id="u", session_id="s")
    assert stored.state["counter"] == 4
    texts = [e.content.parts[0].text for e in stored.events if e.author == "counter"]
    assert texts == ["counter 1", "counter 2", "counter 3", "counter 4"]
