"""The runners-core conformance kit against Redis: sessions (with cross-process) and memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from runners_redis.memory import RedisMemoryService
from runners_redis.sessions import RedisSessionService

from runners_core.testing import MemoryServiceContract, SessionServiceContract


class TestRedisSessions(SessionServiceContract):
    @pytest.fixture
    async def service(self, redis_url: str) -> AsyncIterator[RedisSessionService]:
        service = RedisSessionService(redis_url)
        yield service
        await service.close()

    @pytest.fixture
    def service_url(self, redis_url: str) -> str:
        return redis_url

    @pytest.fixture
    async def ttl_service(
        self, make_url: Callable[..., str], ttl_seconds: float
    ) -> AsyncIterator[RedisSessionService]:
        service = RedisSessionService(make_url(ttl=ttl_seconds))
        yield service
        await service.close()


class TestRedisMemory(MemoryServiceContract):
    @pytest.fixture
    async def service(self, redis_url: str) -> AsyncIterator[RedisMemoryService]:
        service = RedisMemoryService(redis_url)
        yield service
        await service.close()
