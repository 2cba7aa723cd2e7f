"""SQLite sessions beyond the conformance kit: lazy history, busy writers, threads and loops."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
from pathlib import Path
from typing import Any
from weakref import ref

import pytest
from runners_sqlite import SqliteSessionService
from runners_sqlite.sessions import (
    _COUNT_AFTER,
    _FIND_COUNTED,
    _FIND_FOR_APPEND,
    _FLOOR_SEQ,
    _NEWEST,
    _OLDER,
)

from runners_core import BaseAgent, Content, EventActions, GetSessionConfig, Runner
from runners_core.errors import BackendError, RetryableBackendError
from runners_core.events import Event

KEY = {"app_name": "app", "user_id": "u", "session_id": "s"}
USER = {"user_id": "u", "session_id": "s"}


def user(i: int, **fields: Any) -> Event:
    return Event(author="user", id=f"e{i}", content=Content.from_text(f"message {i}"), **fields)


async def ids(service: SqliteSessionService, config: GetSessionConfig | None = None) -> list[str]:
    session = await service.get_session(**KEY, config=config)
    assert session is not None
    return [e.id for e in session.events]


async def test_a_reopened_file_has_everything(db_url: str) -> None:
    first = SqliteSessionService(db_url)
    session = await first.create_session(**KEY, state={"k": 1, "app:a": 2, "user:u": 3})
    await first.append_event(session, user(1, actions=EventActions(state_delta={"k": 5})))
    await first.close()
    second = SqliteSessionService(db_url)
    try:
        loaded = await second.get_session(**KEY)
        assert loaded is not None
        assert loaded.state == {"k": 5, "app:a": 2, "user:u": 3}
        assert [e.id for e in loaded.events] == ["e1"]
    finally:
        await second.close()


async def test_loads_see_what_other_services_append(db_url: str) -> None:
    reader, writer = SqliteSessionService(db_url), SqliteSessionService(db_url)
    try:
        session = await writer.create_session(**KEY)
        for i in range(5):
            await writer.append_event(session, user(i, timestamp=1000.0 + i))
        assert await ids(reader) == [f"e{i}" for i in range(5)]
        for i in range(5, 8):
            await writer.append_event(session, user(i, timestamp=1000.0 + i))
        assert await ids(reader) == [f"e{i}" for i in range(8)]
        assert await ids(reader, GetSessionConfig(num_recent_events=2)) == ["e6", "e7"]
        assert await ids(reader, GetSessionConfig(after_timestamp=1006.0)) == ["e6", "e7"]
        # Delete and recreate under the same id: no old event comes back.
        await writer.delete_session(**KEY)
        fresh = await writer.create_session(**KEY)
        await writer.append_event(fresh, user(99))
        assert await ids(reader) == ["e99"]
    finally:
        await reader.close()
        await writer.close()


async def test_limited_and_whole_loads_agree(sessions: SqliteSessionService) -> None:
    session = await sessions.create_session(**KEY)
    for i in range(20):
        await sessions.append_event(session, user(i))
    expected = [f"e{i}" for i in range(20)]
    assert await ids(sessions, GetSessionConfig(num_recent_events=3)) == expected[-3:]
    assert await ids(sessions, GetSessionConfig(num_recent_events=12)) == expected[-12:]
    assert await ids(sessions) == expected
    await sessions.append_event(session, user(20))
    assert await ids(sessions, GetSessionConfig(num_recent_events=2)) == ["e19", "e20"]


async def test_a_load_fetches_older_events_only_when_read(
    sessions: SqliteSessionService, db_path: Path
) -> None:
    session = await sessions.create_session(**KEY)
    for i in range(300):
        await sessions.append_event(session, user(i))
    loaded = await sessions.get_session(**KEY)
    assert loaded is not None
    # Damage the oldest stored event behind the loaded session's back: the newest
    # events still read, and the damage shows (named) only when reading back that far.
    raw = sqlite3.connect(db_path, isolation_level=None)
    raw.execute("UPDATE events SET payload = '{broken' WHERE seq = 1")
    raw.close()
    assert [e.id for e in loaded.events[-3:]] == ["e297", "e298", "e299"]
    with pytest.raises(BackendError, match="stored event 1 of 300"):
        [e.id for e in loaded.events]


async def test_the_runner_reads_only_recent_history(
    sessions: SqliteSessionService, db_path: Path
) -> None:
    session = await sessions.create_session(**KEY)
    for i in range(100):
        await sessions.append_event(session, user(i))
    step = Event(author="two", invocation_id="i1", content=Content.from_text("step"))
    await sessions.append_event(session, step)
    # Unreadable history before the last agent event: a turn that only needs to find
    # that agent never reads it.
    raw = sqlite3.connect(db_path, isolation_level=None)
    raw.execute("UPDATE events SET payload = '{broken' WHERE seq < 100")
    raw.close()
    runner = Runner(app_name="app", agent=TwoSteps(name="two"), session_service=sessions)
    message = Content.from_text("again")
    events = [e async for e in runner.run_async(**USER, new_message=message)]
    assert [e.author for e in events] == ["two", "two"]
    loaded = await sessions.get_session(**KEY)
    assert loaded is not None
    with pytest.raises(BackendError, match="stored event 1 of 104"):
        list(loaded.events)


async def test_a_dropped_load_frees_its_events_while_the_task_keeps_running(
    db_url: str,
) -> None:
    # A fresh service's first load runs on the worker thread: the task resumes from the
    # loop handle that woke it, which holds the finished future (and its StoredSession)
    # until the task next suspends. Loads of an open connection run inline and never
    # suspend, so without care the first load's decoded history outlives its session,
    # and every collection during later loads walks it.
    writer = SqliteSessionService(db_url)
    session = await writer.create_session(**KEY)
    for i in range(40):
        await writer.append_event(session, user(i))
    await writer.close()
    reader = SqliteSessionService(db_url)
    try:
        first = await reader.get_session(**KEY)
        assert first is not None
        assert [e.id for e in first.events] == [f"e{i}" for i in range(40)]
        oldest, newest = ref(first.events[0]), ref(first.events[-1])
        del first
        second = await reader.get_session(**KEY)  # inline: the task does not suspend
        assert second is not None and len(second.events) == 40
        gc.collect()
        assert oldest() is None and newest() is None
    finally:
        await reader.close()


async def test_a_session_loaded_before_close_stays_readable(db_url: str) -> None:
    service = SqliteSessionService(db_url)
    session = await service.create_session(**KEY)
    for i in range(40):
        await service.append_event(session, user(i))
    loaded = await service.get_session(**KEY)
    await service.close()
    assert loaded is not None
    assert [e.id for e in loaded.events] == [f"e{i}" for i in range(40)]


async def test_history_queries_walk_the_index(sessions: SqliteSessionService) -> None:
    def plans(conn: sqlite3.Connection) -> list[str]:
        found = []
        for sql, params in (
            (_NEWEST, (1, 32)),
            (_OLDER, (1, 40, 8)),
            (_FLOOR_SEQ, (1, 0.0)),
            (_COUNT_AFTER, (1, 5)),
            (_FIND_COUNTED, ("a", "u", "s")),
            (_FIND_FOR_APPEND, ("a", "u", "s")),
        ):
            rows = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            found.extend(row[-1] for row in rows)
        return found

    steps = await sessions.database.read("explaining", plans)
    assert not [s for s in steps if s.startswith(("SCAN events", "SCAN e", "SCAN sessions"))], steps


async def test_a_writer_waits_for_another_connections_write_lock(
    db_url: str, db_path: Path
) -> None:
    service = SqliteSessionService(db_url, busy_timeout=30)
    try:
        session = await service.create_session(**KEY)
        blocker = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, blocker.execute, ("COMMIT",))
        release.start()
        await service.append_event(session, user(1))
        release.join()
        blocker.close()
        assert await ids(service) == ["e1"]
    finally:
        await service.close()


async def test_a_waiting_writer_never_blocks_the_event_loop(db_url: str, db_path: Path) -> None:
    # Short transactions run on the caller's thread; one that would wait for another
    # connection's write lock must move to the worker thread instead.
    service = SqliteSessionService(db_url, busy_timeout=30)
    try:
        session = await service.create_session(**KEY)
        await service.append_event(session, user(1))  # the connection is open: fast path
        blocker = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        append = asyncio.create_task(service.append_event(session, user(2)))
        for _ in range(5):
            await asyncio.sleep(0.01)  # returns only while the loop is free
        assert not append.done()  # still waiting for the lock, off the loop
        blocker.execute("COMMIT")
        blocker.close()
        await append
        assert await ids(service) == ["e1", "e2"]
    finally:
        await service.close()


async def test_a_writer_that_waits_too_long_fails_clearly_and_writes_nothing(
    db_url: str, db_path: Path
) -> None:
    service = SqliteSessionService(db_url, busy_timeout=0.2)
    try:
        session = await service.create_session(**KEY)
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(RetryableBackendError) as caught:
                await service.append_event(session, user(1))
        finally:
            blocker.execute("COMMIT")
            blocker.close()
        message = str(caught.value)
        assert str(db_path) in message and "busy_timeout=0.2s" in message
        assert "nothing was written" in message and "database is locked" not in message
        assert session.events == []
        assert await ids(service) == []
        await service.append_event(session, user(1))  # the retry stores it, once
        assert await ids(service) == ["e1"]
    finally:
        await service.close()


class TwoSteps(BaseAgent):
    async def _run_async_impl(self, ctx: Any) -> Any:
        for i in range(2):
            yield ctx.event(f"step {i}", actions=EventActions(state_delta={"steps": i}))


async def test_one_service_serves_runs_on_several_threads_and_loops(db_url: str) -> None:
    service = SqliteSessionService(db_url)
    runner = Runner(app_name="app", agent=TwoSteps(name="two"), session_service=service)
    await service.create_session(**KEY)
    errors: list[BaseException] = []

    def sync_runs() -> None:  # Runner.run drives run_async on the runner's own loop thread
        try:
            for _ in range(3):
                list(runner.run(user_id="u", session_id="s", new_message=Content.from_text("a")))
        except BaseException as exc:
            errors.append(exc)

    def own_loop_runs() -> None:
        async def go() -> None:
            for _ in range(3):
                async for _ in runner.run_async(
                    user_id="u", session_id="s", new_message=Content.from_text("b")
                ):
                    pass

        try:
            asyncio.run(go())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sync_runs), threading.Thread(target=own_loop_runs)]
    for thread in threads:
        thread.start()
    async for _ in runner.run_async(
        user_id="u", session_id="s", new_message=Content.from_text("c")
    ):
        pass
    await asyncio.gather(*(asyncio.to_thread(t.join) for t in threads))
    assert errors == []
    loaded = await service.get_session(**KEY)
    assert loaded is not None
    assert len(loaded.events) == 7 * 3  # 7 invocations x (user message + 2 steps)
    texts = [e.content.text for e in loaded.events if e.content]
    for start in range(0, len(texts), 3):  # invocations never interleave
        assert texts[start + 1 : start + 3] == ["step 0", "step 1"]
    await runner.close()
    await service.close()


async def test_deleting_events_keeps_count_update_time_and_seqs(
    sessions: SqliteSessionService, db_path: Path
) -> None:
    # Appends leave the session row alone; delete_events must hand the row what they
    # supplied, so the count, the update time and the seq numbering stay right after it.
    session = await sessions.create_session(**KEY)
    for i in range(1, 6):
        await sessions.append_event(session, user(i, timestamp=1000.0 + i))
    assert await sessions.delete_events(**KEY, event_ids=["e2", "e5"]) == 2
    loaded = await sessions.get_session(**KEY)
    assert loaded is not None
    assert [e.id for e in loaded.events] == ["e1", "e3", "e4"]
    assert loaded.last_update_time == 1005.0  # deleting the newest does not set it back
    await sessions.append_event(loaded, user(6, timestamp=1006.0))
    again = await sessions.get_session(**KEY)
    assert again is not None
    assert ([e.id for e in again.events], len(again.events)) == (["e1", "e3", "e4", "e6"], 4)
    assert again.last_update_time == 1006.0
    with sqlite3.connect(db_path) as conn:
        seqs = [s for (s,) in conn.execute("SELECT seq FROM events ORDER BY seq")]
    assert seqs == [1, 3, 4, 6]  # a deleted event's seq is never given again
    listed = await sessions.list_sessions(app_name="app", user_id="u")
    assert [s.last_update_time for s in listed.sessions] == [1006.0]
