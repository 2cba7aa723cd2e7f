"""Claims of docs/backends/sqlite.md, exercised the way a user reaches them: through URLs.

The parser has its own tests (test_sqlite_settings.py); these check that what a URL
asks for is what the open database actually does.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from runners_sqlite import SqliteArtifactService, SqliteMemoryService, SqliteSessionService

from runners_core import (
    Content,
    Event,
    artifact_service_from_url,
    memory_service_from_url,
    session_service_from_url,
)
from runners_core.errors import BackendError, RetryableBackendError

KEY = {"app_name": "app", "user_id": "u", "session_id": "s"}


def _pragma(service: SqliteSessionService, name: str) -> object:
    return service.database.read_blocking(
        "reading a pragma", lambda conn: conn.execute(f"PRAGMA {name}").fetchone()[0]
    )


async def test_url_options_reach_the_open_database(db_path: Path) -> None:
    # ?synchronous=full must mean an fsync per commit (PRAGMA synchronous 2 = FULL),
    # the default 1 = NORMAL; both in WAL mode.
    full = session_service_from_url(f"sqlite:///{db_path}?synchronous=full&busy_timeout=0.2")
    try:
        await full.create_session(**KEY)
        assert _pragma(full, "synchronous") == 2
        assert _pragma(full, "journal_mode") == "wal"
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            session = await full.get_session(**KEY)
            assert session is not None
            with pytest.raises(RetryableBackendError) as caught:
                await full.append_event(session, Event(author="user", id="e1"))
        finally:
            blocker.execute("COMMIT")
            blocker.close()
        message = str(caught.value)
        assert "busy_timeout=0.2s" in message and "Retry, or raise ?busy_timeout=" in message
    finally:
        await full.close()
    default = session_service_from_url(f"sqlite:///{db_path}")
    try:
        await default.get_session(**KEY)
        assert _pragma(default, "synchronous") == 1
        assert default.database.settings.busy_timeout == 30
    finally:
        await default.close()


async def test_keywords_override_the_url(db_path: Path) -> None:
    service = SqliteSessionService(f"sqlite:///{db_path}?synchronous=full", synchronous="normal")
    try:
        await service.create_session(**KEY)
        assert _pragma(service, "synchronous") == 1
    finally:
        await service.close()


async def test_the_file_is_marked_as_runners_sqlites(db_path: Path) -> None:
    service = SqliteSessionService(f"sqlite:///{db_path}")
    try:
        await service.create_session(**KEY)
    finally:
        await service.close()
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x52554E53
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    # All tables are created in every file, whichever kind of service opens it.
    assert {"schema_version", "sessions", "events", "memories", "artifacts"} <= tables
    assert {"session_state", "user_state", "app_state", "memories_fts"} <= tables


async def test_the_three_kinds_can_share_one_file(db_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{db_path}"  # the SQLAlchemy driver form is accepted too
    sessions = session_service_from_url(url)
    memory = memory_service_from_url(url)
    artifacts = artifact_service_from_url(url)
    assert isinstance(sessions, SqliteSessionService)
    assert isinstance(memory, SqliteMemoryService)
    assert isinstance(artifacts, SqliteArtifactService)
    try:
        session = await sessions.create_session(**KEY)
        await sessions.append_event(
            session, Event(author="user", id="e1", content=Content.from_text("hello café"))
        )
        loaded = await sessions.get_session(**KEY)
        assert loaded is not None
        await memory.add_session_to_memory(loaded)
        found = await memory.search_memory(app_name="app", user_id="u", query="cafe")
        assert [m.id for m in found.memories] == ["e1"]
        version = await artifacts.save_artifact(
            app_name="app",
            user_id="u",
            session_id="s",
            filename="a.txt",
            artifact=Content.from_text("x").parts[0],
        )
        assert version == 0
        assert await artifacts.list_artifact_keys(app_name="app", user_id="u", session_id="s") == [
            "a.txt"
        ]
    finally:
        for service in (sessions, memory, artifacts):
            await service.close()


async def test_home_directory_urls_create_missing_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    service = session_service_from_url("sqlite:///~/agents/deep/sessions.db")
    try:
        await service.create_session(**KEY)
    finally:
        await service.close()
    assert (tmp_path / "agents" / "deep" / "sessions.db").is_file()


async def test_older_events_of_a_deleted_session_are_never_another_sessions(
    sessions: SqliteSessionService,
) -> None:
    # A load holds the newest 32 events; older ones are fetched by pk and seq when read.
    # Deleted and re-created under the same id, the session gets a new pk, so the old
    # load must fail clearly rather than show the new session's events.
    session = await sessions.create_session(**KEY)
    for i in range(40):
        await sessions.append_event(session, Event(author="user", id=f"old{i}"))
    loaded = await sessions.get_session(**KEY)
    assert loaded is not None
    await sessions.delete_session(**KEY)
    again = await sessions.create_session(**KEY)
    for i in range(40):
        await sessions.append_event(again, Event(author="user", id=f"new{i}"))
    with pytest.raises(BackendError) as caught:
        loaded.events[0]  # reading fetches the older events
    assert "deleted or changed after it was loaded" in str(caught.value)
    assert "Load it again" in str(caught.value)
    fresh = await sessions.get_session(**KEY)
    assert fresh is not None and [e.id for e in fresh.events] == [f"new{i}" for i in range(40)]


async def test_a_full_disk_names_the_file_and_writes_nothing(
    sessions: SqliteSessionService, db_path: Path
) -> None:
    session = await sessions.create_session(**KEY)
    await sessions.append_event(session, Event(author="user", id="e1"))
    # SQLITE_FULL, as a full disk gives it: the file may not grow past its current pages.
    sessions.database.read_blocking(
        "capping the file",
        lambda conn: conn.execute(
            "PRAGMA max_page_count = " + str(conn.execute("PRAGMA page_count").fetchone()[0])
        ).fetchall(),
    )
    big = Event(author="user", id="e2", content=Content.from_text("x" * 200_000))
    with pytest.raises(BackendError) as caught:
        await sessions.append_event(session, big)
    message = str(caught.value)
    assert str(db_path) in message and "disk is full" in message
    assert "nothing was written" in message and "Free some space" in message
    loaded = await sessions.get_session(**KEY)
    assert loaded is not None and [e.id for e in loaded.events] == ["e1"]


async def test_an_old_sqlite_is_refused_naming_both_versions(
    db_url: str, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    service = SqliteSessionService(db_url)
    try:
        with pytest.raises(BackendError) as caught:
            await service.create_session(**KEY)
    finally:
        await service.close()
    message = str(caught.value)
    assert "needs SQLite 3.35.0 or newer" in message and "uses 3.34.1" in message
    assert not await asyncio.to_thread(db_path.exists)  # refused before anything was created
