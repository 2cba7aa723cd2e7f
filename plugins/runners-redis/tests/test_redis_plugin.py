"""The installed entry point: discovery, scheme registration, a Runner on redis://."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest
from runners_redis.memory import RedisMemoryService
from runners_redis.sessions import RedisSessionService

from runners_core import BaseAgent, Content, Event, InvocationContext, Runner
from runners_core.config import load_config
from runners_core.errors import ConfigError
from runners_core.plugins.manager import load_plugins
from runners_core.services import memory_service_from_url, session_service_from_url


@pytest.fixture
def only_redis_plugin(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """Discover just this package's plugin, away from the repository's pyproject."""
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("RUNNERS_CORE_PLUGINS", "redis")
    for kind in ("SESSION", "MEMORY", "ARTIFACT"):
        monkeypatch.delenv(f"RUNNERS_CORE_{kind}_SERVICE", raising=False)


def test_entry_point_registers_both_schemes(only_redis_plugin: None) -> None:
    loaded = load_plugins()
    record = loaded.record("redis")
    assert record is not None and record.state == "enabled", record
    assert record.distribution == "runners-redis"
    assert sorted(record.schemes["session"]) == ["redis", "rediss"]
    assert sorted(record.schemes["memory"]) == ["redis", "rediss"]
    assert "artifact" not in record.schemes


async def test_services_from_urls(only_redis_plugin: None, redis_url: str) -> None:
    sessions = session_service_from_url(redis_url)
    memory = memory_service_from_url(redis_url)
    try:
        assert isinstance(sessions, RedisSessionService)
        assert isinstance(memory, RedisMemoryService)
        session = await sessions.create_session(app_name="a", user_id="u")
        assert await sessions.get_session(app_name="a", user_id="u", session_id=session.id)
    finally:
        await sessions.close()
        await memory.close()


def test_bad_url_through_the_registry_is_a_config_error(only_redis_plugin: None) -> None:
    with pytest.raises(
        ConfigError, match=r"unknown Redis service option 'tll' in redis://u:\*\*\*@h/0"
    ):
        session_service_from_url("redis://u:pw@h/0?tll=5")


class Counter(BaseAgent):
    """Increments a session counter and answers with it."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        count = ctx.state.get("count", 0) + 1
        ctx.state["count"] = count
        ctx.state["user:runs"] = ctx.state.get("user:runs", 0) + 1
        yield ctx.event(f"count={count}")


def test_runner_from_config_on_redis(
    only_redis_plugin: None, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNNERS_CORE_SESSION_SERVICE", redis_url)
    monkeypatch.setenv("RUNNERS_CORE_MEMORY_SERVICE", redis_url)
    runner = Runner.from_config(Counter(name="counter"), config=load_config())
    assert isinstance(runner.session_service, RedisSessionService)

    async def create() -> str:
        # A service of its own: the runner's would keep a client of this short-lived loop.
        setup = RedisSessionService(redis_url)
        session = await setup.create_session(app_name=runner.app_name, user_id="u")
        await setup.close()
        return session.id

    session_id = asyncio.run(create())
    # The sync run drives run_async on the runner's own background loop.
    for i in range(1, 4):
        texts = [
            e.content.text
            for e in runner.run(
                user_id="u", session_id=session_id, new_message=Content.from_text("go")
            )
            if e.content
        ]
        assert texts == [f"count={i}"]

    async def finish() -> None:
        closed = await runner.close_session(user_id="u", session_id=session_id)
        assert closed.state["count"] == 3 and closed.state["user:runs"] == 3
        found = await runner.memory_service.search_memory(
            app_name=runner.app_name, user_id="u", query="count"
        )
        # Equal matches in the order they were remembered, as ADK.
        assert [m.content.text for m in found.memories] == ["count=1", "count=2", "count=3"]
        await runner.close()

    asyncio.run(finish())
