"""Fixtures for runners-adk: one real backend per parameter (SQLite, PostgreSQL, Redis).

PostgreSQL tests use a fresh schema, Redis tests a fresh key prefix, each dropped
afterwards. An unreachable server skips those parameters with the reason, except
under ``CI=true`` where it fails.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql

PG_URL = os.environ.get("RUNNERS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("RUNNERS_REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
BACKENDS = ["sqlite", "postgresql", "redis"]


def _unreachable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires it (.ci/run starts it)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A runners-core URL on a fresh store of the backend named by the parameter."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'adk.db'}"
        return
    if kind == "postgresql":
        schema = f"radk_{os.getpid()}_{secrets.token_hex(4)}"
        try:
            psycopg.connect(PG_URL, connect_timeout=5).close()
        except psycopg.Error as exc:
            _unreachable(f"PostgreSQL at {PG_URL} is unreachable ({str(exc).strip()[:160]})")
        yield f"{PG_URL}?schema={schema}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        return
    prefix = f"radk-{secrets.token_hex(6)}"
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        _unreachable(f"Redis at {REDIS_URL} is unreachable ({exc})")
    yield f"{REDIS_URL}?prefix={prefix}"
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends(kinds): run only on these backends")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_url" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        kinds = marker.args[0] if marker else BACKENDS
        metafunc.parametrize("backend_url", kinds, indirect=True)
