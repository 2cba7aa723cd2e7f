"""Fixtures for runners-redis tests: a real Redis server, one key prefix per test.

The server is ``RUNNERS_REDIS_TEST_URL`` (default ``redis://127.0.0.1:6379/0``).
When it is unreachable the tests are skipped, except under ``CI=true``, where
a missing server is a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import redis
from runners_redis.keys import KeySpace
from runners_redis.memory import RedisMemoryService
from runners_redis.sessions import RedisSessionService

DEFAULT_TEST_URL = "redis://127.0.0.1:6379/0"


def with_options(base: str, **options: object) -> str:
    """*base* with query options appended."""
    query = "&".join(f"{name}={value}" for name, value in options.items())
    return f"{base}{'&' if '?' in base else '?'}{query}"


@pytest.fixture(scope="session")
def redis_base_url() -> str:
    url = os.environ.get("RUNNERS_REDIS_TEST_URL", DEFAULT_TEST_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = (
            f"Redis server at {url} is unreachable ({exc}); start it (e.g. redis-server "
            "--port 6379, see CONTRIBUTING.md) or point RUNNERS_REDIS_TEST_URL at one"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    finally:
        client.close()
    return url


@pytest.fixture(scope="session")
def raw_redis(redis_base_url: str) -> Iterator[redis.Redis]:
    """A plain synchronous client for looking at (and cleaning up) keys."""
    client = redis.Redis.from_url(redis_base_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def new_prefix(raw_redis: redis.Redis) -> Iterator[Callable[[], str]]:
    """Makes unique key prefixes; every key under them is deleted after the test."""
    made: list[str] = []

    def make() -> str:
        prefix = f"test-{secrets.token_hex(6)}"
        made.append(prefix)
        return prefix

    yield make
    for prefix in made:
        keys = list(raw_redis.scan_iter(match=KeySpace(prefix).pattern(), count=1000))
        if keys:
            raw_redis.delete(*keys)


@pytest.fixture
def prefix(new_prefix: Callable[[], str]) -> str:
    return new_prefix()


@pytest.fixture
def make_url(redis_base_url: str, prefix: str) -> Callable[..., str]:
    """``make_url(ttl=5)``: the test server's URL with this test's prefix and *options*."""

    def make(**options: object) -> str:
        options.setdefault("prefix", prefix)
        return with_options(redis_base_url, **options)

    return make


@pytest.fixture
def redis_url(make_url: Callable[..., str]) -> str:
    return make_url()


@pytest.fixture
async def sessions(redis_url: str) -> AsyncIterator[RedisSessionService]:
    service = RedisSessionService(redis_url)
    yield service
    await service.close()


@pytest.fixture
async def memory(redis_url: str) -> AsyncIterator[RedisMemoryService]:
    service = RedisMemoryService(redis_url)
    yield service
    await service.close()
