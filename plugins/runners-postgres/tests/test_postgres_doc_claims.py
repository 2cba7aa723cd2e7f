"""Claims of docs/backends/postgres.md, exercised as a user reaches them: URLs, real server."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest
from psycopg import sql
from runners_postgres import PostgresSessionService
from runners_postgres.database import Database
from runners_postgres.locking import held_lock
from runners_postgres.settings import parse_url

from runners_core import (
    Event,
    EventActions,
    Part,
    artifact_service_from_url,
    session_service_from_url,
)
from runners_core.errors import BackendError, RetryableBackendError, ValidationError

KEY = {"app_name": "app", "user_id": "u", "session_id": "s"}
SECRET = "pw-not-shown"


async def test_pool_timeout_bounds_a_wait_for_a_busy_loops_connection(
    pg_url: str, pg_schema: str, admin: psycopg.Connection
) -> None:
    # pool_max=2 leaves this loop one connection of its own; a second statement waits
    # for it. The doc: "seconds a call waits for a pooled connection before a
    # RetryableBackendError". It used to wait for as long as the first statement took.
    name = f"rpt-{secrets.token_hex(4)}"
    service = PostgresSessionService(
        f"{pg_url}&pool_max=2&pool_timeout=0.3&application_name={name}"
    )
    try:
        session = await service.create_session(**KEY)
        with admin.transaction():
            admin.execute(
                sql.SQL("SELECT 1 FROM {}.sessions FOR UPDATE").format(sql.Identifier(pg_schema))
            )
            first = asyncio.create_task(service.append_event(session, Event(author="u", id="e1")))
            # Proven blocked: its connection waits for the row lock the admin holds.
            for _ in range(400):
                waiting = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND application_name = %s",
                    [name],
                ).fetchone()
                if waiting and waiting[0]:
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("the first append never waited for the row lock")
            with pytest.raises(RetryableBackendError) as caught:
                await service.append_event(session, Event(author="u", id="e2"))
            assert not first.done()
        message = str(caught.value)
        assert "within 0.3s" in message and "raise pool_max / pool_timeout" in message
        await first  # the lock is gone: the first append completes
        loaded = await service.get_session(**KEY)
        assert loaded is not None and [e.id for e in loaded.events] == ["e1"]
        # The connection the timed-out waiter did not get still serves the next call.
        await service.append_event(loaded, Event(author="u", id="e2"))
    finally:
        await service.close()


async def test_sqlalchemy_and_short_scheme_urls_reach_the_same_tables(pg_url: str) -> None:
    rest = pg_url.split("://", 1)[1]
    writer = session_service_from_url(f"postgresql+psycopg://{rest}")
    reader = session_service_from_url(f"postgres://{rest}")
    try:
        session = await writer.create_session(**KEY)
        await writer.append_event(session, Event(author="u", id="e1"))
        loaded = await reader.get_session(**KEY)
        assert loaded is not None and [e.id for e in loaded.events] == ["e1"]
    finally:
        await writer.close()
        await reader.close()


async def test_a_keyword_schema_wins_over_the_url(
    pg_server: str, pg_schema: str, admin: psycopg.Connection
) -> None:
    ignored = f"rpt_ignored_{secrets.token_hex(4)}"
    service = PostgresSessionService(f"{pg_server}?schema={ignored}", schema=pg_schema)
    try:
        await service.create_session(**KEY)
    finally:
        await service.close()
        try:
            schemas = {
                r[0]
                for r in admin.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)",
                    [[ignored, pg_schema]],
                ).fetchall()
            }
        finally:
            admin.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(ignored))
            )
    assert schemas == {pg_schema}


def test_libpq_defaults_and_the_urls_own_values() -> None:
    params = psycopg.conninfo.conninfo_to_dict(parse_url("postgresql://db/agents").conninfo)
    assert params["connect_timeout"] == "5"
    assert params["application_name"] == "runners-postgres"
    given = parse_url("postgresql://db/agents?application_name=billing&connect_timeout=2")
    params = psycopg.conninfo.conninfo_to_dict(given.conninfo)
    assert params["application_name"] == "billing" and params["connect_timeout"] == "2"
    # Passed on unchanged: %20 stays a space (it used to reach libpq as "+").
    spaced = parse_url(
        "postgresql://db/agents?application_name=my%20app&schema=s&options=-c%20x%3D1"
    )
    params = psycopg.conninfo.conninfo_to_dict(spaced.conninfo)
    assert params["application_name"] == "my app" and params["options"] == "-c x=1"
    assert spaced.schema == "s"
    defaults = parse_url("postgresql://db/agents")
    assert (defaults.schema, defaults.migrate) == ("runners", "auto")
    assert (defaults.pool_min, defaults.pool_max, defaults.pool_timeout) == (1, 5, 10.0)


async def test_the_lock_connection_checks_for_a_vanished_client(pg_url: str) -> None:
    service = PostgresSessionService(pg_url)
    try:
        await service.create_session(**KEY)
        async with service.lock_session(**KEY):
            held = held_lock(service._db, ("app", "u", "s"))
            assert held is not None
            row = await (
                await held.conn.execute("SHOW client_connection_check_interval")
            ).fetchone()
            version = held.conn.info.server_version
    finally:
        await service.close()
    assert row is not None
    if version >= 140000:
        assert row[0] == "1s"


async def test_large_whole_floats_in_state_read_back_as_ints(pg_url: str) -> None:
    service = PostgresSessionService(pg_url)
    try:
        session = await service.create_session(**KEY)
        delta = {"big": 7.2e16, "small": 7.0, "frac": 1.5, "int": 3}
        await service.append_event(
            session, Event(author="u", id="e1", actions=EventActions(state_delta=delta))
        )
        loaded = await service.get_session(**KEY)
    finally:
        await service.close()
    assert loaded is not None
    state = loaded.state
    assert state["big"] == 72000000000000000 and isinstance(state["big"], int)
    assert isinstance(state["small"], float) and state["small"] == 7.0
    assert state["frac"] == 1.5 and state["int"] == 3 and isinstance(state["int"], int)


async def test_older_events_of_a_deleted_session_are_never_another_sessions(pg_url: str) -> None:
    # A load fetches older events when first read; the session deleted and re-created
    # under the same id in between must not lend them its new events.
    service = PostgresSessionService(pg_url)
    try:
        session = await service.create_session(**KEY)
        for i in range(40):
            await service.append_event(session, Event(author="u", id=f"old{i}"))
        loaded = await service.get_session(**KEY)
        assert loaded is not None
        await service.delete_session(**KEY)
        again = await service.create_session(**KEY)
        for i in range(40):
            await service.append_event(again, Event(author="u", id=f"new{i}"))
        try:
            shown = [e.id for e in loaded.events]
        except BackendError as exc:
            assert "deleted or changed after it was loaded" in str(exc)
        else:
            assert shown == [f"old{i}" for i in range(40)]
    finally:
        await service.close()


@pytest.mark.parametrize(
    "error", [psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure]
)
async def test_deadlocks_and_serialisation_failures_are_tried_three_times(
    error: type[psycopg.Error],
) -> None:
    database = Database(parse_url(f"postgresql://postgres:{SECRET}@db/test"))
    calls: list[int] = []

    def failing(times: int) -> Callable[[Any], Awaitable[str]]:
        async def operation(conn: Any) -> str:
            calls.append(1)
            if len(calls) <= times:
                raise error("deadlock detected")
            return "stored"

        return operation

    assert await database.run("appending an event", failing(2), conn=object()) == "stored"
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(BackendError) as caught:
        await database.run("appending an event", failing(3), conn=object())
    assert len(calls) == 3
    assert "while appending an event" in str(caught.value) and SECRET not in str(caught.value)
    calls.clear()
    with pytest.raises(BackendError):  # anything else is not repeated
        await database.run(
            "appending an event", _raise(psycopg.errors.UniqueViolation, calls), conn=object()
        )
    assert len(calls) == 1


def _raise(error: type[psycopg.Error], calls: list[int]) -> Callable[[Any], Awaitable[str]]:
    async def operation(conn: Any) -> str:
        calls.append(1)
        raise error("no")

    return operation


async def test_max_artifact_bytes_is_a_keyword_through_the_factory(pg_url: str) -> None:
    service = artifact_service_from_url(pg_url, max_artifact_bytes=10)
    try:
        save = {"app_name": "app", "user_id": "u", "session_id": "s", "filename": "f"}
        assert await service.save_artifact(**save, artifact=Part(text="x" * 10)) == 0
        with pytest.raises(ValidationError, match="max_artifact_bytes"):
            await service.save_artifact(**save, artifact=Part(text="x" * 11))
        assert await service.list_versions(**save) == [0]
    finally:
        await service.close()


async def test_the_urls_libpq_options_reach_every_connection_with_our_schema(
    pg_url: str, pg_schema: str
) -> None:
    # A user's own `options` (here a statement_timeout, and a search_path that would
    # put the tables elsewhere) is passed on, and the service's schema still wins.
    service = PostgresSessionService(
        f"{pg_url}&options=-c%20statement_timeout%3D4321%20-c%20search_path%3Dpublic"
    )

    async def show(conn: psycopg.AsyncConnection) -> tuple[str, str]:
        timeout = await (await conn.execute("SHOW statement_timeout")).fetchone()
        path = await (await conn.execute("SHOW search_path")).fetchone()
        assert timeout is not None and path is not None
        return timeout[0], path[0]

    try:
        await service.create_session(**KEY)
        assert await service._db.run("showing settings", show) == ("4321ms", pg_schema)
        async with service.lock_session(**KEY):
            held = held_lock(service._db, ("app", "u", "s"))
            assert held is not None
            assert await show(held.conn) == ("4321ms", pg_schema)
    finally:
        await service.close()


async def test_a_bad_setting_in_options_is_named_not_taken_for_an_unreachable_server(
    pg_url: str,
) -> None:
    service = PostgresSessionService(f"{pg_url}&options=-c%20no_such_setting%3D1")
    try:
        with pytest.raises(BackendError) as caught:
            await service.create_session(**KEY)
    finally:
        await service.close()
    assert not isinstance(caught.value, RetryableBackendError)  # retrying cannot help
    message = str(caught.value)
    assert "refused a setting given in the URL's options= parameter" in message
    assert "no_such_setting" in message and "check that the server is running" not in message
