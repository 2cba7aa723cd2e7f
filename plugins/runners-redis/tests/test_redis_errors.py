"""Bad input against real servers: unreachable, wrong credentials, too old, closed."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis
from runners_redis import connections
from runners_redis.memory import RedisMemoryService
from runners_redis.sessions import RedisSessionService

from runners_core.errors import BackendError, RetryableBackendError, RunnersError


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_unreachable_server_is_a_retryable_error_naming_the_redacted_url() -> None:
    url = f"redis://app:hunter2@127.0.0.1:{_free_port()}/0?prefix=x"
    service = RedisSessionService(url)
    try:
        with pytest.raises(RetryableBackendError) as info:
            await service.get_session(app_name="a", user_id="u", session_id="s")
    finally:
        await service.close()
    message = str(info.value)
    assert "hunter2" not in message
    assert "app:***@127.0.0.1" in message
    assert "running" in message  # says what to check


@pytest.fixture
def acl_user(raw_redis: redis.Redis) -> Iterator[tuple[str, str]]:
    """A real ACL user with a password, removed after the test."""
    name = f"runners-test-{secrets.token_hex(4)}"
    password = secrets.token_hex(8)
    raw_redis.acl_setuser(
        name, enabled=True, passwords=[f"+{password}"], keys=["*"], commands=["+@all"]
    )
    yield name, password
    raw_redis.acl_deluser(name)


def _with_credentials(base: str, user: str, password: str, prefix: str) -> str:
    parts = urlsplit(base)
    netloc = f"{user}:{password}@{parts.hostname}:{parts.port or 6379}"
    return f"{parts.scheme}://{netloc}{parts.path or '/0'}?prefix={prefix}"


async def test_wrong_password_names_the_url_not_the_password(
    redis_base_url: str, acl_user: tuple[str, str], prefix: str
) -> None:
    user, password = acl_user
    wrong = "not-" + password
    service = RedisMemoryService(_with_credentials(redis_base_url, user, wrong, prefix))
    try:
        with pytest.raises(BackendError, match="rejected the credentials") as info:
            await service.search_memory(app_name="a", user_id="u", query="hello")
    finally:
        await service.close()
    assert not isinstance(info.value, RetryableBackendError)
    assert wrong not in str(info.value)
    assert f"{user}:***@" in str(info.value)


async def test_right_password_works(
    redis_base_url: str, acl_user: tuple[str, str], prefix: str
) -> None:
    user, password = acl_user
    service = RedisSessionService(_with_credentials(redis_base_url, user, password, prefix))
    try:
        session = await service.create_session(app_name="a", user_id="u")
        assert await service.get_session(app_name="a", user_id="u", session_id=session.id)
    finally:
        await service.close()


async def test_missing_database_number_says_which_numbers_exist(
    raw_redis: redis.Redis, prefix: str
) -> None:
    databases = int(raw_redis.config_get("databases")["databases"])
    kwargs = raw_redis.connection_pool.connection_kwargs
    url = f"redis://{kwargs['host']}:{kwargs['port']}/{databases}?prefix={prefix}"
    service = RedisSessionService(url)
    try:
        with pytest.raises(BackendError, match="no database with that number") as info:
            await service.create_session(app_name="a", user_id="u")
    finally:
        await service.close()
    assert f"/{databases}" in str(info.value)
    assert "below the server's `databases` setting" in str(info.value)


async def test_too_old_server_is_refused(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connections, "MIN_SERVER_VERSION", (99, 0))
    service = RedisSessionService(redis_url)
    try:
        with pytest.raises(BackendError, match=r"needs Redis 99\.0 or newer. Upgrade") as info:
            await service.create_session(app_name="a", user_id="u")
    finally:
        await service.close()
    assert "version" in str(info.value)


async def test_a_closed_service_says_so(redis_url: str) -> None:
    service = RedisSessionService(redis_url)
    await service.create_session(app_name="a", user_id="u", session_id="s")
    await service.close()
    with pytest.raises(RunnersError, match="closed; create a new one"):
        await service.get_session(app_name="a", user_id="u", session_id="s")
