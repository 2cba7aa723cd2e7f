"""Schema versions: upgrading a v1 database in place, start-up modes, the CLI command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from runners_postgres import (
    LATEST,
    PostgresArtifactService,
    PostgresMemoryService,
    PostgresSessionService,
    migrate,
    migrate_async,
)

from runners_core.errors import BackendError

V1_FIXTURE = Path(__file__).parent / "fixtures" / "schema_v1.sql"
RUNNERS = Path(sys.executable).parent / "runners"


def load_v1(admin: psycopg.Connection, schema: str) -> None:
    """Make *schema* look like a database that schema version 1 wrote."""
    admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    with admin.transaction():
        admin.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        admin.execute(V1_FIXTURE.read_bytes())


def versions(admin: psycopg.Connection, schema: str) -> list[int]:
    query = sql.SQL("SELECT version FROM {}.schema_version ORDER BY version").format(
        sql.Identifier(schema)
    )
    return [v for (v,) in admin.execute(query).fetchall()]


def test_latest_is_beyond_the_v1_fixture() -> None:
    # The fixture path is only exercised while there is something to migrate to.
    assert LATEST >= 2


async def test_v1_database_is_upgraded_in_place_and_keeps_its_data(
    admin: psycopg.Connection, pg_schema: str, pg_url: str
) -> None:
    load_v1(admin, pg_schema)

    result = await migrate_async(pg_url)

    assert (result.before, result.after, result.changed) == (1, LATEST, True)
    assert versions(admin, pg_schema) == list(range(1, LATEST + 1))
    sessions = PostgresSessionService(pg_url)
    memory = PostgresMemoryService(pg_url)
    artifacts = PostgresArtifactService(pg_url)
    try:
        session = await sessions.get_session(app_name="garden", user_id="ada", session_id="winter")
        assert session is not None
        assert [e.id for e in session.events] == ["ev-user-1", "ev-agent-1"]
        assert session.state == {
            "topic": "garden",
            "answered": True,
            "app:model": "v1",
            "user:tone": "friendly",
        }
        # Version 2 indexes English stems: "run" finds "running", "greenhouse" "Greenhouses".
        found = await memory.search_memory(app_name="garden", user_id="ada", query="run")
        assert [m.id for m in found.memories] == ["ev-user-1"]
        found = await memory.search_memory(app_name="garden", user_id="ada", query="greenhouse")
        assert [m.id for m in found.memories] == ["ev-agent-1"]
        assert found.memories[0].custom_metadata == {"source": "v1"}
        plan = await artifacts.load_artifact(
            app_name="garden", user_id="ada", session_id="winter", filename="plan.txt"
        )
        assert plan is not None and plan.text == "plant in March"
        # And the upgraded schema takes new writes.
        await sessions.append_event(session, session.events[0].model_copy(update={"id": "new"}))
        reloaded = await sessions.get_session(app_name="garden", user_id="ada", session_id="winter")
        assert reloaded is not None and [e.id for e in reloaded.events][-1] == "new"
    finally:
        await sessions.close()
        await memory.close()
        await artifacts.close()


async def test_services_refuse_an_old_schema_and_say_how_to_migrate(
    admin: psycopg.Connection, pg_schema: str, pg_url: str
) -> None:
    load_v1(admin, pg_schema)
    service = PostgresSessionService(pg_url)
    try:
        with pytest.raises(BackendError) as info:
            await service.get_session(app_name="garden", user_id="ada", session_id="winter")
    finally:
        await service.close()
    message = str(info.value)
    assert f"is at version 1; this runners-postgres needs version {LATEST}" in message
    assert "runners postgres migrate" in message and "?migrate=always" in message
    assert versions(admin, pg_schema) == [1]  # nothing was changed behind the user's back


async def test_migrate_always_upgrades_at_start_up(
    admin: psycopg.Connection, pg_schema: str, pg_url: str
) -> None:
    load_v1(admin, pg_schema)
    service = PostgresSessionService(pg_url + "&migrate=always")
    try:
        session = await service.get_session(app_name="garden", user_id="ada", session_id="winter")
    finally:
        await service.close()
    assert session is not None and len(session.events) == 2
    assert versions(admin, pg_schema) == list(range(1, LATEST + 1))


async def test_an_empty_schema_is_created_on_first_use(
    admin: psycopg.Connection, pg_schema: str, pg_url: str
) -> None:
    service = PostgresSessionService(pg_url)
    try:
        await service.create_session(app_name="app", user_id="u", session_id="s")
    finally:
        await service.close()
    assert versions(admin, pg_schema) == list(range(1, LATEST + 1))


async def test_migrate_never_refuses_an_empty_schema(pg_schema: str, pg_url: str) -> None:
    service = PostgresSessionService(pg_url + "&migrate=never")
    try:
        with pytest.raises(BackendError, match="has no runners-postgres tables"):
            await service.create_session(app_name="app", user_id="u")
    finally:
        await service.close()


async def test_a_newer_schema_is_refused(admin: psycopg.Connection, pg_url: str) -> None:
    schema = (await migrate_async(pg_url)).schema
    insert = sql.SQL("INSERT INTO {}.schema_version (version, description) VALUES (%s, 'x')")
    admin.execute(insert.format(sql.Identifier(schema)), [LATEST + 1])
    service = PostgresSessionService(pg_url)
    try:
        with pytest.raises(BackendError, match="upgrade runners-postgres"):
            await service.get_session(app_name="a", user_id="u", session_id="s")
    finally:
        await service.close()


def test_migrating_an_up_to_date_schema_changes_nothing(pg_url: str) -> None:
    first = migrate(pg_url)
    again = migrate(pg_url)
    assert (first.before, first.after) == (0, LATEST)
    assert (again.before, again.after, again.changed) == (LATEST, LATEST, False)


async def test_many_services_starting_together_migrate_once(
    admin: psycopg.Connection, pg_schema: str, pg_url: str
) -> None:
    services = [PostgresSessionService(pg_url) for _ in range(6)]
    try:
        await asyncio.gather(
            *(
                s.create_session(app_name="app", user_id="u", session_id=f"s{n}")
                for n, s in enumerate(services)
            )
        )
    finally:
        for s in services:
            await s.close()
    assert versions(admin, pg_schema) == list(range(1, LATEST + 1))


async def test_a_schema_holding_someone_elses_tables_is_refused(
    admin: psycopg.Connection, pg_schema: str, pg_url: str
) -> None:
    admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(pg_schema)))
    admin.execute(sql.SQL("CREATE TABLE {}.sessions (x int)").format(sql.Identifier(pg_schema)))
    service = PostgresSessionService(pg_url)
    try:
        with pytest.raises(BackendError, match="did not create.*choose another schema"):
            await service.get_session(app_name="a", user_id="u", session_id="s")
    finally:
        await service.close()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUNNERS), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )


def test_runners_postgres_migrate_command_upgrades_v1_and_redacts_the_password(
    admin: psycopg.Connection, pg_schema: str, pg_server: str
) -> None:
    load_v1(admin, pg_schema)
    # Trust authentication ignores the password; it is there to prove it never prints.
    url = pg_server.replace("postgres@", "postgres:hunter2@") + f"?schema={pg_schema}"

    status = run_cli("postgres", "status", url)
    migrated = run_cli("postgres", "migrate", url)
    again = run_cli("postgres", "migrate", url)

    assert status.returncode == 0, status.stderr
    assert f"version 1, this package needs {LATEST}" in status.stdout
    assert migrated.returncode == 0, migrated.stderr
    assert f"from version 1 to {LATEST}" in migrated.stdout
    assert "already at version" in again.stdout
    for result in (status, migrated, again):
        assert "hunter2" not in result.stdout + result.stderr
        assert "postgres:***@" in result.stdout
    assert versions(admin, pg_schema) == list(range(1, LATEST + 1))


def test_runners_postgres_migrate_reports_an_unreachable_server() -> None:
    result = run_cli("postgres", "migrate", "postgresql://postgres:hunter2@127.0.0.1:1/test")
    assert result.returncode == 1
    assert "cannot connect to PostgreSQL at postgresql://postgres:***@127.0.0.1:1/test" in (
        result.stderr
    )
    assert "hunter2" not in result.stderr


def test_runners_postgres_migrate_without_a_url_uses_the_configured_service(
    admin: psycopg.Connection, pg_schema: str, pg_url: str
) -> None:
    load_v1(admin, pg_schema)
    result = run_cli("postgres", "migrate", env={"RUNNERS_CORE_MEMORY_SERVICE": pg_url})
    assert result.returncode == 0, result.stderr
    assert f"schema '{pg_schema}'" in result.stdout and f"to {LATEST}" in result.stdout
    assert versions(admin, pg_schema) == list(range(1, LATEST + 1))


def test_the_documented_version_is_the_latest() -> None:
    # docs/backends/postgres.md: "runners-postgres 0.1 needs version 3".
    assert LATEST == 3


async def test_migrate_never_leaves_an_old_schema_untouched(
    admin: psycopg.Connection, pg_schema: str, pg_url: str
) -> None:
    load_v1(admin, pg_schema)
    service = PostgresSessionService(pg_url + "&migrate=never")
    try:
        with pytest.raises(BackendError) as info:
            await service.get_session(app_name="garden", user_id="ada", session_id="winter")
    finally:
        await service.close()
    assert f"is at version 1; this runners-postgres needs version {LATEST}" in str(info.value)
    assert versions(admin, pg_schema) == [1]


async def test_migrate_always_refuses_a_newer_schema_untouched(
    admin: psycopg.Connection, pg_url: str
) -> None:
    schema = (await migrate_async(pg_url)).schema
    insert = sql.SQL("INSERT INTO {}.schema_version (version, description) VALUES (%s, 'x')")
    admin.execute(insert.format(sql.Identifier(schema)), [LATEST + 1])
    service = PostgresSessionService(pg_url + "&migrate=always")
    try:
        with pytest.raises(BackendError, match="upgrade runners-postgres"):
            await service.create_session(app_name="a", user_id="u", session_id="s")
    finally:
        await service.close()
    assert versions(admin, schema) == [*range(1, LATEST + 1), LATEST + 1]
    count = admin.execute(
        sql.SQL("SELECT count(*) FROM {}.sessions").format(sql.Identifier(schema))
    )
    assert count.fetchone() == (0,)
