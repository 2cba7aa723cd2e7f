"""docs/backends/postgres.md: "Passwords never appear in errors or logs"."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from runners_postgres import PostgresSessionService

from runners_core.errors import RetryableBackendError, RunnersError

SECRET = "s3cr3t-pw-4-logs"
KEY = {"app_name": "app", "user_id": "u", "session_id": "s"}


@pytest.fixture
def one_connection_role(admin: psycopg.Connection, pg_server: str) -> Iterator[str]:
    """A login role of this test's own that may hold one connection at a time."""
    role = f"rpt_role_{secrets.token_hex(4)}"
    ident = sql.Identifier(role)
    admin.execute(sql.SQL("CREATE ROLE {} LOGIN CONNECTION LIMIT 1").format(ident))
    dbname = admin.info.dbname
    database = sql.Identifier(dbname)
    admin.execute(sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(database, ident))
    try:
        yield role
    finally:
        admin.execute(sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(ident))
        admin.execute(sql.SQL("DROP OWNED BY {}").format(ident))
        admin.execute(sql.SQL("DROP ROLE {}").format(ident))


async def test_no_log_record_or_error_carries_the_password(
    pg_url: str, one_connection_role: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Trust authentication ignores the password: it is there to be looked for.
    url = pg_url.replace("postgres@", f"{one_connection_role}:{SECRET}@", 1)
    assert SECRET in url
    caplog.set_level(logging.DEBUG)
    # The role's one connection is enough to prepare the schema; the pool's second
    # fails ("too many connections for role"), which psycopg_pool logs and retries.
    service = PostgresSessionService(f"{url}&pool_min=2&pool_max=3&pool_timeout=1")
    try:
        with pytest.raises(RetryableBackendError) as caught:
            await service.create_session(**KEY)
    finally:
        await service.close()
    assert SECRET not in str(caught.value) and f"{one_connection_role}:***@" in str(caught.value)
    unreachable = PostgresSessionService(
        f"postgresql://postgres:{SECRET}@127.0.0.1:1/test?pool_timeout=1&connect_timeout=1"
    )
    try:
        with pytest.raises(RunnersError) as refused:
            await unreachable.get_session(**KEY)
    finally:
        await unreachable.close()
    assert SECRET not in str(refused.value) and "postgres:***@127.0.0.1:1" in str(refused.value)
    pool_records = [r for r in caplog.records if r.name.startswith("psycopg")]
    assert pool_records, "the pool logged no failed connection: the check below proves nothing"
    for record in caplog.records:
        assert SECRET not in record.getMessage(), record.name
        assert SECRET not in str(record.exc_info or ""), record.name


async def test_a_roles_connection_limit_is_named_with_the_fix(
    pg_url: str, one_connection_role: str
) -> None:
    url = pg_url.replace("postgres@", f"{one_connection_role}:{SECRET}@", 1)
    service = PostgresSessionService(f"{url}&pool_min=1&pool_max=2")
    try:
        await service.create_session(**KEY)  # the pool now holds the role's one connection
        with pytest.raises(RetryableBackendError) as caught:
            async with service.lock_session(**KEY):  # a dedicated connection: one too many
                pass
    finally:
        await service.close()
    message = str(caught.value)
    assert "the role has reached its connection limit" in message
    assert "ALTER ROLE ... CONNECTION LIMIT" in message and SECRET not in message
