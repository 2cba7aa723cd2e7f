"""PostgreSQL session specifics beyond the conformance kit: loops, storage shape, locks."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time

import psycopg
import pytest
from psycopg import sql
from runners_postgres import PostgresSessionService

from runners_core import BaseAgent, Content, Event, EventActions, InvocationContext, Runner
from runners_core.errors import RunnersError, SessionBusyError, ValidationError


def tagged(url: str) -> tuple[str, str]:
    """*url* with an application_name of its own, to count its server connections."""
    name = f"rpt-{secrets.token_hex(4)}"
    return f"{url}&application_name={name}", name


def connections(admin: psycopg.Connection, application: str) -> int:
    row = admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application]
    ).fetchone()
    return int(row[0]) if row else 0


def wait_for_connections(admin: psycopg.Connection, application: str, expected: int) -> int:
    # The server drops a closed connection's row a moment after the client leaves.
    for _ in range(100):
        count = connections(admin, application)
        if count == expected:
            return count
        time.sleep(0.05)
    return connections(admin, application)


class Echo(BaseAgent):
    async def _run_async_impl(self, ctx: InvocationContext):  # type: ignore[override]
        ctx.state["turns"] = ctx.state.get("turns", 0) + 1
        yield ctx.event(f"echo {ctx.user_content.text if ctx.user_content else ''}")


def test_one_service_serves_several_event_loops_and_closes_them_all(
    pg_url: str, admin: psycopg.Connection
) -> None:
    url, application = tagged(pg_url)
    service = PostgresSessionService(url)
    asyncio.run(service.create_session(app_name="a", user_id="u", session_id="s"))

    # A loop that keeps running in another thread (like Runner.run's background loop).
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        event = Event(author="user", content=Content.from_text("from another loop"))

        async def append() -> None:
            session = await service.get_session(app_name="a", user_id="u", session_id="s")
            assert session is not None
            await service.append_event(session, event)

        asyncio.run_coroutine_threadsafe(append(), loop).result(30)
        loaded = asyncio.run(service.get_session(app_name="a", user_id="u", session_id="s"))
        assert loaded is not None and [e.id for e in loaded.events] == [event.id]
        # One pool; each of the two loops keeps one of its connections.
        assert wait_for_connections(admin, application, 2) == 2

        asyncio.run(service.close())  # from a third loop: the pool closes on its own thread
        assert wait_for_connections(admin, application, 0) == 0
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def test_closing_after_the_runners_loop_has_stopped_still_releases_connections(
    pg_url: str, admin: psycopg.Connection
) -> None:
    url, application = tagged(pg_url)
    service = PostgresSessionService(url)
    runner = Runner(
        app_name="a", agent=Echo(name="echo"), session_service=service, auto_create_session=True
    )
    events = list(runner.run(user_id="u", session_id="s", new_message=Content.from_text("hi")))
    assert [e.content.text for e in events if e.content] == ["echo hi"]
    asyncio.run(runner.close())  # stops and closes the loop the service's pool lives on

    asyncio.run(service.close())

    assert wait_for_connections(admin, application, 0) == 0


async def test_runner_from_config_builds_and_closes_postgres_services(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    monkeypatch.setenv("RUNNERS_CORE_PLUGINS", "postgres")
    for kind in ("SESSION", "MEMORY", "ARTIFACT"):
        monkeypatch.setenv(f"RUNNERS_CORE_{kind}_SERVICE", pg_url)
    runner = Runner.from_config(Echo(name="echo"), app_name="cfg", auto_create_session=True)
    try:
        assert isinstance(runner.session_service, PostgresSessionService)
        for text in ("one", "two"):
            async for _ in runner.run_async(
                user_id="u", session_id="s", new_message=Content.from_text(text)
            ):
                pass
        session = await runner.close_session(user_id="u", session_id="s")
        assert session.state["turns"] == 2
        assert runner.memory_service is not None
        found = await runner.memory_service.search_memory(app_name="cfg", user_id="u", query="two")
        assert {m.content.text for m in found.memories} == {"two", "echo two"}
    finally:
        await runner.close()


async def test_events_are_numbered_per_session_in_append_order(
    pg_url: str, pg_schema: str, admin: psycopg.Connection
) -> None:
    service = PostgresSessionService(pg_url)
    try:
        one = await service.create_session(app_name="a", user_id="u", session_id="one")
        two = await service.create_session(app_name="a", user_id="u", session_id="two")
        events = [Event(author="user", content=Content.from_text(str(n))) for n in range(5)]
        for n, event in enumerate(events):
            await service.append_event(one if n % 2 else two, event)
        await service.append_event(one, events[1])  # a retry: stored once
        query = sql.SQL(
            "SELECT s.id, e.seq, e.event_id FROM {}.events e JOIN {}.sessions s ON s.pk = "
            "e.session_pk ORDER BY s.id, e.seq"
        ).format(sql.Identifier(pg_schema), sql.Identifier(pg_schema))
        rows = admin.execute(query).fetchall()
    finally:
        await service.close()
    assert rows == [
        ("one", 1, events[1].id),
        ("one", 2, events[3].id),
        ("two", 1, events[0].id),
        ("two", 2, events[2].id),
        ("two", 3, events[4].id),
    ]


async def test_an_append_that_cannot_be_stored_changes_nothing(pg_url: str) -> None:
    service = PostgresSessionService(pg_url)
    try:
        session = await service.create_session(
            app_name="a", user_id="u", session_id="s", state={"kept": 1}
        )
        # The session part is fine; the app part cannot be stored (jsonb rejects NUL).
        bad = Event(
            author="user",
            actions=EventActions(state_delta={"kept": 2, "app:name": "nul\x00here"}),
        )
        with pytest.raises(ValidationError, match="NUL"):
            await service.append_event(session, bad)
        loaded = await service.get_session(app_name="a", user_id="u", session_id="s")
    finally:
        await service.close()
    assert loaded is not None
    assert loaded.events == [] and loaded.state == {"kept": 1}


async def blocked_on_a_lock(admin: psycopg.Connection, application: str) -> None:
    """Return once a connection of *application* waits for a lock (pg_locks.granted false)."""
    for _ in range(1200):
        row = admin.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE a.application_name = %s AND NOT l.granted",
            [application],
        ).fetchone()
        if row and row[0]:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"no connection of {application} ever waited for a lock")


async def test_a_lock_held_by_another_service_instance_makes_others_wait_or_fail(
    pg_url: str, admin: psycopg.Connection
) -> None:
    # Two instances share nothing in this process: only the database can exclude them.
    url, application = tagged(pg_url)
    holder, other = PostgresSessionService(pg_url), PostgresSessionService(url)
    try:
        await holder.create_session(app_name="a", user_id="u", session_id="s")
        released, entered = asyncio.Event(), asyncio.Event()
        order: list[str] = []

        async def hold() -> None:
            async with holder.lock_session(app_name="a", user_id="u", session_id="s"):
                order.append("holder in")
                with pytest.raises(SessionBusyError) as info:
                    async with other.lock_session(
                        app_name="a", user_id="u", session_id="s", timeout=0.2
                    ):
                        pass
                assert "another process" in str(info.value) and "waited 0.2s" in str(info.value)
                entered.set()
                await released.wait()
                order.append("holder out")

        async def wait_for_it() -> None:
            async with other.lock_session(app_name="a", user_id="u", session_id="s"):
                order.append("other in")

        holding = asyncio.create_task(hold())
        await entered.wait()
        waiting = asyncio.create_task(wait_for_it())
        await blocked_on_a_lock(admin, application)  # the server has it waiting
        assert order == ["holder in"]  # still waiting, no timeout given
        released.set()
        await asyncio.gather(holding, waiting)
        assert order == ["holder in", "holder out", "other in"]
    finally:
        await holder.close()
        await other.close()


async def test_cancelling_a_wait_for_the_lock_leaves_it_usable(
    pg_url: str, admin: psycopg.Connection
) -> None:
    url, application = tagged(pg_url)
    holder, other = PostgresSessionService(pg_url), PostgresSessionService(url)
    try:
        async with holder.lock_session(app_name="a", user_id="u", session_id="s"):

            async def wait_forever() -> None:
                async with other.lock_session(app_name="a", user_id="u", session_id="s"):
                    pass

            task = asyncio.create_task(wait_forever())
            await blocked_on_a_lock(admin, application)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        async with other.lock_session(app_name="a", user_id="u", session_id="s", timeout=5):
            pass
    finally:
        await holder.close()
        await other.close()


async def test_deleting_a_session_deletes_its_events_and_only_those(
    pg_url: str, pg_schema: str, admin: psycopg.Connection
) -> None:
    service = PostgresSessionService(pg_url)
    try:
        for sid in ("gone", "kept"):
            session = await service.create_session(app_name="a", user_id="u", session_id=sid)
            for n in range(3):
                await service.append_event(session, Event(author="user", id=f"{sid}-{n}"))
        await service.delete_session(app_name="a", user_id="u", session_id="gone")
        query = sql.SQL("SELECT event_id FROM {}.events ORDER BY event_id").format(
            sql.Identifier(pg_schema)
        )
        rows = admin.execute(query).fetchall()
    finally:
        await service.close()
    assert [r[0] for r in rows] == ["kept-0", "kept-1", "kept-2"]


async def test_a_lock_taken_without_waiting_leaves_the_runs_statements_free_to_wait(
    pg_url: str, pg_schema: str, pg_server: str, admin: psycopg.Connection
) -> None:
    """session_busy="reject" takes the lock with timeout 0; the run's appends (on the
    lock's connection) must still wait for row locks like any statement, not fail."""
    url, application = tagged(pg_url)
    service = PostgresSessionService(url)
    blocker = await psycopg.AsyncConnection.connect(pg_server)  # not autocommit: holds a row
    try:
        session = await service.create_session(app_name="a", user_id="u", session_id="s")
        async with service.lock_session(app_name="a", user_id="u", session_id="s", timeout=0):
            await blocker.execute(
                sql.SQL("SELECT 1 FROM {}.sessions WHERE id = 's' FOR UPDATE").format(
                    sql.Identifier(pg_schema)
                )
            )
            append = asyncio.create_task(service.append_event(session, Event(author="agent")))
            await blocked_on_a_lock(admin, application)  # waiting for the row, not failing
            assert not append.done(), "the append did not wait for the row lock"
            await blocker.commit()
            stored = await asyncio.wait_for(append, 30)
        loaded = await service.get_session(app_name="a", user_id="u", session_id="s")
        assert loaded is not None and [e.id for e in loaded.events] == [stored.id]
    finally:
        await blocker.close()
        await service.close()


async def test_a_load_fetches_older_events_only_when_read(
    pg_url: str, admin: psycopg.Connection, pg_schema: str
) -> None:
    service = PostgresSessionService(pg_url)
    key = {"app_name": "a", "user_id": "u", "session_id": "long"}
    await service.create_session(**key)
    events = [
        Event(id=f"e{i}", author="user", content=Content.from_text(f"t{i}")) for i in range(100)
    ]
    await service.import_events(**key, events=events)
    loaded = await service.get_session(**key)
    kept = await service.get_session(**key)
    assert loaded is not None and kept is not None
    # Damage the oldest stored event behind the loaded sessions' backs: the newest events
    # still read, and the damage shows (named) only when reading back that far.
    table = sql.SQL("{}.events").format(sql.Identifier(pg_schema))
    admin.execute(sql.SQL("UPDATE {} SET payload = '{{broken' WHERE seq = 1").format(table))
    assert [e.id for e in loaded.events[-3:]] == ["e97", "e98", "e99"]
    with pytest.raises(RunnersError, match="stored event 1 of 100"):
        [e.id for e in loaded.events]
    payload = events[0].model_dump_json(exclude_none=True)
    admin.execute(sql.SQL("UPDATE {} SET payload = %s WHERE seq = 1").format(table), [payload])
    # A session loaded before the service closed still reads its older events.
    await service.close()
    assert [e.id for e in kept.events] == [f"e{i}" for i in range(100)]
