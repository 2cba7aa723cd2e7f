"""Retention: the policy, the prune engine, its hook, dry runs and running sessions."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from runners_core import (
    Content,
    Event,
    InMemoryArtifactService,
    InMemoryMemoryService,
    InMemorySessionService,
    Part,
    hookimpl,
    load_config,
    load_plugins,
)
from runners_core.errors import ConfigError
from runners_core.retention import PruneItem, RetentionPolicy, prune

APP = "kept"
DAY = 86_400.0
NOW = 1_800_000_000.0


def event(text: str, at: float, author: str = "agent") -> Event:
    return Event(
        author=author,
        invocation_id="inv",
        content=Content.from_text(text, role="model"),
        timestamp=at,
    )


class Store:
    def __init__(self) -> None:
        self.sessions = InMemorySessionService()
        self.memory = InMemoryMemoryService()
        self.artifacts = InMemoryArtifactService()

    async def session(self, user: str, sid: str, *, events: int, last: float):
        session = await self.sessions.create_session(app_name=APP, user_id=user, session_id=sid)
        for i in range(events):
            await self.sessions.append_event(session, event(f"{sid} {i}", last - events + 1 + i))
        return session

    async def ids(self, user: str, sid: str) -> list[str] | None:
        session = await self.sessions.get_session(app_name=APP, user_id=user, session_id=sid)
        return None if session is None else [e.content.parts[0].text for e in session.events]

    async def run(self, policy: RetentionPolicy, **options):
        return await prune(
            app_name=APP,
            policy=policy,
            session_service=self.sessions,
            memory_service=self.memory,
            artifact_service=self.artifacts,
            now=NOW,
            **options,
        )


@pytest.fixture
async def store() -> Store:
    store = Store()
    await store.session("ann", "old", events=2, last=NOW - 40 * DAY)
    await store.session("ann", "new", events=5, last=NOW - 1 * DAY)
    await store.session("bob", "mid", events=3, last=NOW - 10 * DAY)
    for session_id in ("old", "new"):
        for i in range(4):
            await store.artifacts.save_artifact(
                app_name=APP,
                user_id="ann",
                session_id=session_id,
                filename="draft.txt",
                artifact=Part.from_text(f"{session_id} v{i}"),
            )
    return store


async def test_idle_sessions_go_with_their_session_artifacts(store: Store):
    report = await store.run(RetentionPolicy(session_idle_days=30))
    assert report.sessions_deleted == 1 and not report.dry_run
    assert await store.ids("ann", "old") is None
    assert await store.ids("ann", "new") is not None and await store.ids("bob", "mid") is not None
    assert (
        await store.artifacts.list_versions(
            app_name=APP, user_id="ann", session_id="old", filename="draft.txt"
        )
        == []
    )
    assert (
        len(
            await store.artifacts.list_versions(
                app_name=APP, user_id="ann", session_id="new", filename="draft.txt"
            )
        )
        == 4
    )


async def test_events_over_the_limit_are_dropped_oldest_first(store: Store):
    report = await store.run(RetentionPolicy(max_events_per_session=2, batch_size=1))
    assert report.events_deleted == 3 + 1  # new: 5 -> 2, mid: 3 -> 2, old: 2 stays
    assert await store.ids("ann", "new") == ["new 3", "new 4"]
    assert await store.ids("bob", "mid") == ["mid 1", "mid 2"]
    assert await store.ids("ann", "old") == ["old 0", "old 1"]


async def test_trimmed_events_can_move_to_memory(store: Store):
    policy = RetentionPolicy(max_events_per_session=3, trimmed_events="memory")
    report = await store.run(policy)
    assert report.events_to_memory == report.events_deleted == 2
    found = await store.memory.search_memory(app_name=APP, user_id="ann", query="new")
    assert sorted(m.content.parts[0].text for m in found.memories) == ["new 0", "new 1"]


async def test_artifact_versions_beyond_the_newest_are_dropped(store: Store):
    report = await store.run(RetentionPolicy(artifact_versions=2))
    assert report.artifact_versions_deleted == 4  # two sessions, versions 0 and 1 each
    for session_id in ("old", "new"):
        assert await store.artifacts.list_versions(
            app_name=APP, user_id="ann", session_id=session_id, filename="draft.txt"
        ) == [2, 3]


async def test_old_memories_are_forgotten(store: Store):
    for user, age in (("ann", 100), ("bob", 100), ("bob", 1)):
        await store.memory.add_events_to_memory(
            app_name=APP, user_id=user, events=[event(f"memo {age}", NOW - age * DAY)]
        )
    report = await store.run(RetentionPolicy(memory_days=30))
    assert report.memories_deleted == 2
    left = await store.memory.list_memories(app_name=APP)
    assert [(user, r.text) for user, r in left[0]] == [("bob", "memo 1")]


async def test_a_dry_run_reports_the_same_and_changes_nothing(store: Store):
    policy = RetentionPolicy(
        session_idle_days=30, max_events_per_session=2, artifact_versions=2, memory_days=30
    )
    await store.memory.add_events_to_memory(
        app_name=APP, user_id="ann", events=[event("ancient", NOW - 99 * DAY)]
    )
    before = [await store.ids(u, s) for u, s in (("ann", "old"), ("ann", "new"), ("bob", "mid"))]
    dry = await store.run(policy, dry_run=True)
    after = [await store.ids(u, s) for u, s in (("ann", "old"), ("ann", "new"), ("bob", "mid"))]
    assert before == after and dry.dry_run
    assert len((await store.memory.list_memories(app_name=APP))[0]) == 1
    real = await store.run(policy)
    assert dry.rows() == real.rows()
    assert real.rows() == [
        ("sessions", 1),
        ("events", 4),
        ("events moved to memory", 0),
        ("artifact versions", 2),
        ("memories", 1),
    ]


async def test_a_plugin_can_veto_deletions(store: Store):
    seen: list[PruneItem] = []

    class LegalHold:
        name = "legal-hold"

        @hookimpl
        def on_prune(self, item):
            seen.append(item)
            if item.user_id == "ann":
                return False

    loaded = load_plugins(load_config(environ={"RUNNERS_CORE_PLUGINS": ""}))
    loaded.register(LegalHold(), name="legal-hold")
    report = await store.run(
        RetentionPolicy(session_idle_days=5, max_events_per_session=1), hooks=loaded.hooks
    )
    assert await store.ids("ann", "old") is not None  # held
    assert await store.ids("ann", "new") == ["new 0", "new 1", "new 2", "new 3", "new 4"]
    assert await store.ids("bob", "mid") is None  # bob's idle session went
    assert report.kept_by_plugins == {"legal-hold": 1 + 4 + 1}
    kinds = {(i.kind, i.user_id) for i in seen}
    assert kinds == {("session", "ann"), ("events", "ann"), ("session", "bob")}
    assert all(not i.dry_run for i in seen)


async def test_a_session_with_a_running_invocation_is_skipped(store: Store):
    holding = asyncio.Event()
    release = asyncio.Event()

    async def run_in_progress():
        async with store.sessions.lock_session(app_name=APP, user_id="ann", session_id="old"):
            holding.set()
            await release.wait()

    task = asyncio.create_task(run_in_progress())
    await holding.wait()
    report = await store.run(RetentionPolicy(session_idle_days=30))
    release.set()
    await task
    assert report.sessions_deleted == 0 and report.sessions_busy == ["ann/old"]
    assert await store.ids("ann", "old") is not None


async def test_backends_without_the_primitives_are_reported(store: Store):
    class NoTrim(InMemorySessionService):
        async def _delete_events(self, **kwargs):
            return await super(InMemorySessionService, self)._delete_events(**kwargs)

    trimless = NoTrim()
    session = await trimless.create_session(app_name=APP, user_id="u", session_id="s")
    for i in range(3):
        await trimless.append_event(session, event(f"e{i}", NOW - 3 + i))
    report = await prune(
        app_name=APP,
        policy=RetentionPolicy(max_events_per_session=1),
        session_service=trimless,
        now=NOW,
    )
    assert report.events_deleted == 0
    assert report.unsupported == [
        "events: NoTrim cannot delete single events (it does not implement _delete_events), "
        "so retention cannot trim its sessions"
    ]


def test_policy_comes_from_pyproject_and_bad_values_are_named(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        "[tool.runners_core]\napp_name = 'a'\n\n[tool.runners_core.retention]\n"
        "session_idle_days = 30\nmax_events_per_session = 500\ntrimmed_events = 'memory'\n"
    )
    config = load_config(pyproject=pyproject, environ={})
    policy = RetentionPolicy.parse(config.retention)
    assert policy.session_idle_days == 30 and policy.trimmed_events == "memory"
    assert config.app_name == "a"
    with pytest.raises(ConfigError, match=r"retention\] is invalid: max_events_per_session"):
        RetentionPolicy.parse({"max_events_per_session": 0})
    with pytest.raises(ConfigError, match="trimmed_events"):
        RetentionPolicy.parse({"trimmed_events": "archive"})
    with pytest.raises(ConfigError, match="session_idle"):
        RetentionPolicy.parse({"session_idle": 3})


async def test_moving_to_memory_without_a_memory_service_is_refused(store: Store):
    with pytest.raises(ConfigError, match="no memory service"):
        await prune(
            app_name=APP,
            policy=RetentionPolicy(max_events_per_session=1, trimmed_events="memory"),
            session_service=store.sessions,
            now=NOW,
        )


def legal_hold_example() -> type:
    doc = Path(__file__).resolve().parents[1] / "docs" / "hooks.md"
    block = next(
        b
        for b in re.findall(r"```python\n(.*?)```", doc.read_text(), re.DOTALL)
        if "class LegalHold" in b
    )
    namespace: dict = {}
    exec(compile(block, str(doc), "exec"), namespace)
    return namespace["LegalHold"]


async def test_the_hooks_md_legal_hold_example_works(store: Store):
    loaded = load_plugins(load_config(environ={"RUNNERS_CORE_PLUGINS": ""}))
    loaded.register(legal_hold_example()(["bob"]))
    await store.run(RetentionPolicy(session_idle_days=5), hooks=loaded.hooks)
    assert await store.ids("bob", "mid") is not None and await store.ids("ann", "old") is None
