"""The run lease between service instances (as separate processes would hold it)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import pytest
import redis
from runners_redis.keys import KeySpace
from runners_redis.sessions import RedisSessionService

from runners_core.errors import SessionBusyError


@pytest.fixture
async def two(make_url: Callable[..., str]) -> AsyncIterator[tuple[RedisSessionService, ...]]:
    """Two services on the same storage: each has its own in-process lock, like two hosts."""
    first = RedisSessionService(make_url(lease=0.3))
    second = RedisSessionService(make_url(lease=0.3))
    yield first, second
    await first.close()
    await second.close()


def _lock(service: RedisSessionService, timeout: float | None) -> object:
    return service.lock_session(app_name="a", user_id="u", session_id="s", timeout=timeout)


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
        async with second.lock_session(app_name="a", user_id="u", session_id="t", timeout=0):
            pass
    assert not raw_redis.exists(key)
    async with _lock(second, 0):
        pass


async def test_renewal_keeps_the_lease_past_its_length(
    two: tuple[RedisSessionService, ...],
) -> None:
    first, second = two
    async with _lock(first, None):
        await asyncio.sleep(1.0)  # over three lease lengths: only renewal keeps it
        with pytest.raises(SessionBusyError):
            async with _lock(second, 0):
                pass


async def test_a_waiter_enters_after_the_holder_leaves(
    two: tuple[RedisSessionService, ...],
) -> None:
    first, second = two
    order: list[str] = []
    entered = asyncio.Event()

    async def holder() -> None:
        async with _lock(first, None):
            order.append("first in")
            entered.set()
            await asyncio.sleep(0.2)
            order.append("first out")

    async def waiter() -> None:
        await entered.wait()
        async with _lock(second, None):
            order.append("second in")

    await asyncio.gather(holder(), waiter())
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
            raw_redis.set(key, "another-holder", px=60_000)  # our lease was taken over
            await asyncio.sleep(0.3)  # let the renewer notice
    assert raw_redis.get(key) == "another-holder"
    assert "was lost" in caplog.text
