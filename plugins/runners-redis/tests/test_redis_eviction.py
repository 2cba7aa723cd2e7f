"""A server that may evict keys is refused unless the URL opts out (issue 11, item 4).

These tests start their own redis-server on a free loopback port with an evicting
policy: the shared server's configuration is never changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from redis.exceptions import ResponseError
from redis_own_server import own_redis_server
from runners_redis.connections import RedisConnections
from runners_redis.memory import RedisMemoryService
from runners_redis.sessions import RedisSessionService
from runners_redis.settings import parse_redis_url

from runners_core.errors import ConfigError

SECRET = "s3cr3t-Pa55"


@pytest.fixture(scope="module")
def evicting_server() -> Iterator[str]:
    """Our own redis-server with maxmemory-policy allkeys-lru; its URL (no password)."""
    with own_redis_server("--maxmemory-policy", "allkeys-lru") as url:
        # A user that may not run CONFIG: the policy must then come from INFO.
        client = redis.Redis.from_url(url)
        client.acl_setuser(
            "noconfig", enabled=True, passwords=[f"+{SECRET}"], keys=["*"],
            commands=["+@all", "-config"],
        )  # fmt: skip
        client.close()
        yield url


async def test_an_evicting_server_is_refused_with_the_fix(evicting_server: str) -> None:
    service = RedisSessionService(evicting_server)
    try:
        with pytest.raises(ConfigError) as refused:
            await service.create_session(app_name="a", user_id="u", session_id="s")
    finally:
        await service.close()
    message = str(refused.value)
    assert "maxmemory-policy 'allkeys-lru'" in message
    assert "noeviction" in message and "?allow_eviction=true" in message
    client = redis.Redis.from_url(evicting_server)
    assert client.dbsize() == 0  # refused before anything was written
    client.close()


async def test_memory_service_is_refused_too(evicting_server: str) -> None:
    service = RedisMemoryService(evicting_server)
    try:
        with pytest.raises(ConfigError, match="allkeys-lru"):
            await service.search_memory(app_name="a", user_id="u", query="x")
    finally:
        await service.close()


async def test_without_config_the_policy_is_read_from_info(evicting_server: str) -> None:
    url = evicting_server.replace("redis://", f"redis://noconfig:{SECRET}@")
    service = RedisSessionService(url)
    try:
        with pytest.raises(ConfigError, match="maxmemory-policy 'allkeys-lru'") as refused:
            await service.get_session(app_name="a", user_id="u", session_id="s")
    finally:
        await service.close()
    assert SECRET not in str(refused.value)
    assert "noconfig:***@" in str(refused.value)


async def test_the_url_can_opt_out(evicting_server: str) -> None:
    service = RedisSessionService(evicting_server + "?allow_eviction=true&prefix=optout")
    try:
        await service.create_session(app_name="a", user_id="u", session_id="s")
        assert await service.get_session(app_name="a", user_id="u", session_id="s")
    finally:
        await service.close()


def test_the_opt_out_is_a_typed_option() -> None:
    assert parse_redis_url("redis://h/0?allow_eviction=true").allow_eviction is True
    assert parse_redis_url("redis://h/0").allow_eviction is False
    # Ours, not redis-py's: it is not handed on.
    assert "allow_eviction" not in parse_redis_url("redis://h/0?allow_eviction=1").connection_url
    with pytest.raises(ConfigError, match="allow_eviction='maybe'"):
        parse_redis_url("redis://h/0?allow_eviction=maybe")


class _Blind:
    """A client on a server where neither CONFIG nor INFO memory reveals the policy."""

    async def config_get(self, name: str) -> dict[str, Any]:
        raise ResponseError("unknown command 'CONFIG'")

    async def info(self, section: str) -> dict[str, Any]:
        return {}


async def test_a_policy_that_cannot_be_read_needs_the_opt_out() -> None:
    connections = RedisConnections(parse_redis_url(f"redis://u:{SECRET}@h/0"))
    with pytest.raises(ConfigError) as refused:
        await connections._check_eviction_policy(_Blind())  # type: ignore[arg-type]
    message = str(refused.value)
    assert "cannot read the maxmemory-policy" in message
    assert "CONFIG GET is not allowed" in message and "?allow_eviction=true" in message
    assert SECRET not in message
