"""The plugin as users meet it: installed through its entry point, chosen by sqlite:// URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runners_sqlite import SqliteArtifactService, SqliteMemoryService, SqliteSessionService

from runners_core import BaseAgent, Content, EventActions, Runner
from runners_core.plugins.manager import load_plugins
from runners_core.services import (
    artifact_service_from_url,
    memory_service_from_url,
    session_service_from_url,
)


def test_the_entry_point_registers_sqlite_for_every_kind() -> None:
    loaded = load_plugins()
    for kind in ("session", "memory", "artifact"):
        registration = loaded.registry.lookup(kind, "sqlite:///x.db")
        assert (registration.plugin, registration.distribution) == ("sqlite", "runners-sqlite")


async def test_urls_build_the_services(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/all.db"
    built = [
        session_service_from_url(url, max_event_bytes=1000),
        memory_service_from_url(url),
        artifact_service_from_url(url, max_artifact_bytes=10, busy_timeout=3),
    ]
    try:
        assert [type(s) for s in built] == [
            SqliteSessionService,
            SqliteMemoryService,
            SqliteArtifactService,
        ]
        assert built[0].max_event_bytes == 1000 and built[2].max_artifact_bytes == 10
        assert built[2].database.settings.busy_timeout == 3
    finally:
        for service in built:
            await service.close()


class Remember(BaseAgent):
    async def _run_async_impl(self, ctx: Any) -> Any:
        turns = ctx.session.state.get("turns", 0) + 1
        await ctx.save_artifact("note.txt", Content.from_text(f"turn {turns}").parts[0])
        yield ctx.event(f"turn {turns}", actions=EventActions(state_delta={"turns": turns}))


async def test_a_runner_from_config_keeps_everything_in_sqlite(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    urls = {
        "session_service": "sqlite:///.runners/sessions.db",
        "memory_service": "sqlite:///.runners/memory.db",
        "artifact_service": "sqlite:///.runners/artifacts.db",
    }
    for turn in (1, 2):  # a new runner (a new process, in real life) sees the last turn
        runner = Runner.from_config(Remember(name="rem"), app_name="app", **urls)
        if turn == 1:
            await runner.session_service.create_session(app_name="app", user_id="u", session_id="s")
        async with runner:
            events = [
                e
                async for e in runner.run_async(
                    user_id="u", session_id="s", new_message=Content.from_text("hi")
                )
            ]
            assert events[-1].content is not None and events[-1].content.text == f"turn {turn}"
            await runner.close_session(user_id="u", session_id="s")
            found = await runner.memory_service.search_memory(
                app_name="app", user_id="u", query="turn"
            )
            assert len(found.memories) == turn
    assert sorted(p.name for p in (tmp_path / ".runners").glob("*.db")) == [
        "artifacts.db",
        "memory.db",
        "sessions.db",
    ]
