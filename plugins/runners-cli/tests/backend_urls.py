"""Per-test URLs on the shared PostgreSQL and Redis servers, cleaned up afterwards.

Unreachable servers skip the test with the reason, except under ``CI=true``, where
they fail it (as the backends' own test suites do).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

PG = os.environ.get("RUNNERS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("RUNNERS_REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


def _unreachable(what: str, exc: Exception) -> None:
    reason = f"{what} is unreachable ({str(exc).strip()[:200]})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires it", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL on a fresh schema of the shared test database; the schema is dropped after."""
    import psycopg
    from psycopg import sql

    schema = f"ops_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG, autocommit=True, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        _unreachable(f"PostgreSQL at {PG}", exc)
    yield f"{PG}?schema={schema}"
    with psycopg.connect(PG, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A URL with a fresh key prefix on the shared Redis; its keys are deleted after."""
    import redis

    prefix = f"ops-{secrets.token_hex(6)}"
    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        _unreachable(f"Redis at {REDIS}", exc)
    sep = "&" if "?" in REDIS else "?"
    yield f"{REDIS}{sep}prefix={prefix}"
    keys = list(client.scan_iter(match=f"{prefix}/*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
