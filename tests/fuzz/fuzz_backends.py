"""The backends the fuzz suite runs against, each driven on one event loop per test."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from runners_core.artifacts.base import BaseArtifactService
from runners_core.artifacts.in_memory import InMemoryArtifactService
from runners_core.memory.base import BaseMemoryService
from runners_core.memory.in_memory import InMemoryMemoryService
from runners_core.sessions.base import BaseSessionService
from runners_core.sessions.in_memory import InMemorySessionService

T = TypeVar("T")

SESSION_BACKENDS = ("memory", "sqlite", "postgres", "redis")
ARTIFACT_BACKENDS = ("memory", "sqlite", "files", "postgres")

POSTGRES_URL = os.environ.get(
    "RUNNERS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("RUNNERS_REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


@dataclass
class Backend:
    """A backend's services, driven on one event loop for the whole test."""

    name: str
    loop: asyncio.Runner
    sessions: BaseSessionService | None = None
    memory: BaseMemoryService | None = None
    artifacts: BaseArtifactService | None = None
    cleanups: list[Any] = field(default_factory=list)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run(coro)

    def close(self) -> None:
        for service in (self.sessions, self.memory, self.artifacts):
            if service is not None:
                self.run(service.close())
        self.loop.close()
        for cleanup in self.cleanups:
            cleanup()


def _unreachable(what: str, exc: BaseException) -> None:
    message = f"{what} is unreachable for the fuzz suite ({exc})"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _postgres_schema() -> tuple[str, Any]:
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        _unreachable(f"PostgreSQL at {POSTGRES_URL}", exc)
    schema = f"rfz_{os.getpid()}_{secrets.token_hex(4)}"

    def drop() -> None:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    return f"{POSTGRES_URL}?schema={schema}", drop


def _redis_prefix() -> tuple[str, Any]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        _unreachable(f"Redis at {REDIS_URL}", exc)
    prefix = f"fuzz-{secrets.token_hex(6)}"

    def drop() -> None:
        keys = list(client.scan_iter(match=f"{prefix}/*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()

    return f"{REDIS_URL}?prefix={prefix}", drop


def make_backend(name: str, tmp_path: Path, *, kinds: tuple[str, ...]) -> Backend:
    backend = Backend(name, asyncio.Runner())
    want = set(kinds)
    if name == "memory":
        backend.sessions = InMemorySessionService() if "sessions" in want else None
        backend.memory = InMemoryMemoryService() if "memory" in want else None
        backend.artifacts = InMemoryArtifactService() if "artifacts" in want else None
    elif name == "sqlite":
        from runners_sqlite import SqliteArtifactService, SqliteMemoryService, SqliteSessionService

        if "sessions" in want:
            backend.sessions = SqliteSessionService(tmp_path / "sessions.db")
        if "memory" in want:
            backend.memory = SqliteMemoryService(tmp_path / "memory.db")
        if "artifacts" in want:
            backend.artifacts = SqliteArtifactService(tmp_path / "artifacts.db")
    elif name == "postgres":
        from runners_postgres import (
            PostgresArtifactService,
            PostgresMemoryService,
            PostgresSessionService,
        )

        url, drop = _postgres_schema()
        backend.cleanups.append(drop)
        if "sessions" in want:
            backend.sessions = PostgresSessionService(url)
        if "memory" in want:
            backend.memory = PostgresMemoryService(url)
        if "artifacts" in want:
            backend.artifacts = PostgresArtifactService(url)
    elif name == "redis":
        from runners_redis.memory import RedisMemoryService
        from runners_redis.sessions import RedisSessionService

        url, drop = _redis_prefix()
        backend.cleanups.append(drop)
        backend.sessions = RedisSessionService(url) if "sessions" in want else None
        backend.memory = RedisMemoryService(url) if "memory" in want else None
    elif name == "files":
        from runners_files.artifacts import FileArtifactService

        backend.artifacts = FileArtifactService(tmp_path / "artifacts")
    else:
        raise AssertionError(f"unknown backend {name}")
    return backend
