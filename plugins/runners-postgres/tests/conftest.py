"""Fixtures for the PostgreSQL backend tests: a real server, one fresh schema per test.

Tests talk to the server named by ``RUNNERS_TEST_POSTGRES_URL`` (default: the local
``test`` database). When it is unreachable they skip with the reason, except under
``CI=true``, where a missing server is a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

SERVER_URL = os.environ.get(
    "RUNNERS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _admin() -> psycopg.Connection:
    return psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The server URL; skips (or fails under CI=true) when PostgreSQL is unreachable."""
    try:
        with _admin() as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = f"PostgreSQL at {SERVER_URL} is unreachable ({str(exc).strip()[:200]})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires it (.ci/run starts it)", pytrace=False)
        pytest.skip(f"{reason}; start it (pg_ctlcluster ... start) to run these tests")
    return SERVER_URL


def drop_schema(name: str) -> None:
    with _admin() as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
def pg_schema(pg_server: str) -> Iterator[str]:
    """A schema name no other test or test run uses; dropped afterwards."""
    name = f"rpt_{os.getpid()}_{secrets.token_hex(4)}"
    yield name
    drop_schema(name)


@pytest.fixture
def pg_url(pg_server: str, pg_schema: str) -> str:
    """A service URL on this test's own schema (created on first use)."""
    return f"{pg_server}?schema={pg_schema}"


@pytest.fixture
def admin(pg_server: str) -> Iterator[psycopg.Connection]:
    """A plain autocommit connection for looking at (or preparing) the database directly."""
    with _admin() as conn:
        yield conn
