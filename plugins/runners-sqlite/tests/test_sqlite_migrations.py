"""Schema versions: a v1 database (the committed fixture) is upgraded in place, losing nothing.

A failed upgrade leaves the file exactly as it was; a file of a newer schema is
refused untouched.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import shutil
import sqlite3
from pathlib import Path
from types import ModuleType

import pytest
from runners_sqlite import (
    LATEST,
    SqliteArtifactService,
    SqliteMemoryService,
    SqliteSessionService,
)
from runners_sqlite import migrations as migrations_module

from runners_core.content import Part
from runners_core.errors import BackendError
from runners_core.events import Event

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _load_fixture_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_v1_fixture", FIXTURES / "make_v1.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_v1 = _load_fixture_script()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def versions(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    target = tmp_path / "upgrade" / "v1.db"
    target.parent.mkdir()
    shutil.copyfile(FIXTURES / "v1.db", target)
    return target


def test_the_committed_fixture_is_schema_v1() -> None:
    assert versions(FIXTURES / "v1.db") == [1]
    assert {"app_states", "user_states"} <= tables(FIXTURES / "v1.db")


async def test_v1_sessions_upgrade_in_place_with_every_value(v1_copy: Path) -> None:
    service = SqliteSessionService(f"sqlite:///{v1_copy}")
    try:
        session = await service.get_session(app_name="shop", user_id="alice", session_id="s1")
        assert session is not None
        assert session.state == {
            **make_v1.SESSION_STATE,
            **{f"app:{k}": v for k, v in make_v1.APP_STATE.items()},
            **{f"user:{k}": v for k, v in make_v1.ALICE_STATE.items()},
        }
        assert session.state["app:rate"] == 0.1 + 0.2  # floats keep every bit
        dumped = [e.model_dump(mode="json", exclude_none=True) for e in session.events]
        assert dumped == [e.model_dump(mode="json", exclude_none=True) for e in make_v1.events()]
        assert session.last_update_time == make_v1.T0 + 2
        bob = await service.get_session(app_name="shop", user_id="bob", session_id="s2")
        assert bob is not None and bob.state == {
            "app:" + k: v for k, v in make_v1.APP_STATE.items()
        }

        # The upgraded file keeps working: appends continue the sequence, deltas land.
        event = Event(
            author="clerk",
            invocation_id="inv-2",
            actions={"state_delta": {"n": 4, "user:theme": "light", "app:rate": 1}},
        )
        await service.append_event(session, event)
        again = await service.get_session(app_name="shop", user_id="alice", session_id="s1")
        assert again is not None
        assert [e.id for e in again.events] == ["ev-1", "ev-2", "ev-3", event.id]
        assert (again.state["n"], again.state["user:theme"], again.state["app:rate"]) == (
            4,
            "light",
            1,
        )
    finally:
        await service.close()
    assert versions(v1_copy) == list(range(1, LATEST + 1))
    assert not {"app_states", "user_states"} & tables(v1_copy)
    assert {"app_state", "user_state", "session_state"} <= tables(v1_copy)


async def test_v1_memory_and_artifacts_survive_the_upgrade(v1_copy: Path) -> None:
    memory = SqliteMemoryService(f"sqlite:///{v1_copy}")
    artifacts = SqliteArtifactService(f"sqlite:///{v1_copy}")
    try:
        found = await memory.search_memory(app_name="shop", user_id="alice", query="pears")
        assert [(m.id, m.custom_metadata) for m in found.memories] == [("ev-1", {"source": "v1"})]
        at = {"app_name": "shop", "user_id": "alice", "session_id": "s1"}
        assert await artifacts.list_versions(**at, filename="receipt.txt") == [0, 1]
        assert await artifacts.load_artifact(**at, filename="receipt.txt") == Part(text="final")
        first = await artifacts.get_artifact_version(**at, filename="receipt.txt", version=0)
        assert first is not None and first.custom_metadata == {"v": 0}
        assert await artifacts.save_artifact(**at, filename="receipt.txt", artifact=Part(text="x"))
    finally:
        await memory.close()
        await artifacts.close()


async def test_a_failing_upgrade_changes_nothing(
    v1_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = digest(v1_copy)

    def broken_copy(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO app_state VALUES ('half', 'written', '1')")
        raise RuntimeError("simulated crash in the middle of the v2 migration")

    broken = migrations_module.Migration(2, "broken", ("0002_state_rows.sql", broken_copy))
    monkeypatch.setattr(migrations_module, "MIGRATIONS", (migrations_module.MIGRATIONS[0], broken))
    service = SqliteSessionService(f"sqlite:///{v1_copy}")
    with pytest.raises(RuntimeError, match="simulated crash"):
        await service.get_session(app_name="shop", user_id="alice", session_id="s1")
    await service.close()
    assert versions(v1_copy) == [1]
    assert "app_state" not in tables(v1_copy)
    with sqlite3.connect(v1_copy) as conn:
        (state,) = conn.execute("SELECT state FROM sessions WHERE id = 's1'").fetchone()
    assert state  # the v1 document is still there
    monkeypatch.undo()
    # With the real migration the same file then upgrades normally.
    service = SqliteSessionService(f"sqlite:///{v1_copy}")
    try:
        loaded = await service.get_session(app_name="shop", user_id="alice", session_id="s1")
        assert loaded is not None and loaded.state["n"] == 3
    finally:
        await service.close()
    assert versions(v1_copy) == list(range(1, LATEST + 1))
    assert before != digest(v1_copy)


async def test_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    service = SqliteSessionService(f"sqlite:///{path}")
    await service.create_session(app_name="a", user_id="u", session_id="s")
    await service.close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 'from the future', 0)", (LATEST + 1,))
    before = digest(path)
    service = SqliteSessionService(f"sqlite:///{path}")
    with pytest.raises(BackendError) as caught:
        await service.get_session(app_name="a", user_id="u", session_id="s")
    await service.close()
    message = str(caught.value)
    assert str(path) in message
    assert f"schema version {LATEST + 1}" in message
    assert "pip install -U runners-sqlite" in message
    assert digest(path) == before


async def test_a_fresh_file_is_created_at_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "fresh.db"
    service = SqliteSessionService(f"sqlite:///{path}")
    await service.create_session(app_name="a", user_id="u")
    await service.close()
    assert versions(path) == list(range(1, LATEST + 1))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA application_id").fetchone() == (
            migrations_module.APPLICATION_ID,
        )


async def test_services_opening_one_fresh_file_together_migrate_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/together.db"
    services = [SqliteSessionService(url) for _ in range(6)]
    try:
        await asyncio.gather(
            *(
                s.create_session(app_name="a", user_id="u", session_id=f"s{n}")
                for n, s in enumerate(services)
            )
        )
    finally:
        for service in services:
            await service.close()
    assert versions(tmp_path / "together.db") == list(range(1, LATEST + 1))


def test_the_fixture_script_writes_a_v1_database(tmp_path: Path) -> None:
    out = tmp_path / "regenerated.db"
    make_v1.write(out)
    assert versions(out) == [1]
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (3,)


async def test_a_v3_session_with_deleted_events_keeps_its_count_and_update_time(
    tmp_path: Path,
) -> None:
    # v4 moves the count from the session row to base_count + the events appended since:
    # a v3 session whose middle and newest events were deleted must read back unchanged.
    path = tmp_path / "v3.db"
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        migrations_module.migrate(conn, path, target=3)
        conn.execute(
            "INSERT INTO sessions (app_name, user_id, id, create_time, update_time, event_count) "
            "VALUES ('a', 'u', 's', 100.0, 105.0, 3)"
        )
        for seq in (1, 3, 4):  # 2 and 5 were deleted; 5 was the newest, at 105.0
            payload = Event(id=f"e{seq}", author="user", timestamp=100.0 + seq).model_dump_json()
            conn.execute(
                "INSERT INTO events (session_pk, seq, event_id, invocation_id, timestamp, payload) "
                "VALUES (1, ?, ?, '', ?, ?)",
                (seq, f"e{seq}", 100.0 + seq, payload),
            )
    service = SqliteSessionService(f"sqlite:///{path}")
    try:
        session = await service.get_session(app_name="a", user_id="u", session_id="s")
        assert session is not None
        assert (len(session.events), session.last_update_time) == (3, 105.0)
        assert [e.id for e in session.events] == ["e1", "e3", "e4"]
        await service.append_event(session, Event(id="e6", author="user", timestamp=106.0))
        again = await service.get_session(app_name="a", user_id="u", session_id="s")
        assert again is not None
        assert (len(again.events), again.last_update_time) == (4, 106.0)
    finally:
        await service.close()
    assert versions(path) == list(range(1, LATEST + 1))
