"""The runners-core conformance kit, in full, against the SQLite services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from runners_sqlite import SqliteArtifactService, SqliteMemoryService, SqliteSessionService

from runners_core.testing import (
    ArtifactServiceContract,
    MemoryServiceContract,
    SessionServiceContract,
)


class TestSqliteSessions(SessionServiceContract):
    @pytest.fixture
    async def service(self, service_url: str) -> AsyncIterator[SqliteSessionService]:
        svc = SqliteSessionService(service_url)
        yield svc
        await svc.close()

    @pytest.fixture
    def service_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path}/sessions.db"


class TestSqliteSessionsWithoutEventCache(TestSqliteSessions):
    """The same contract with the decoded-event cache turned off (every load decodes)."""

    @pytest.fixture
    def service_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path}/sessions.db?event_cache_mb=0"


class TestSqliteMemory(MemoryServiceContract):
    @pytest.fixture
    async def service(self, tmp_path: Path) -> AsyncIterator[SqliteMemoryService]:
        svc = SqliteMemoryService(f"sqlite:///{tmp_path}/memory.db")
        yield svc
        await svc.close()


class TestSqliteArtifacts(ArtifactServiceContract):
    @pytest.fixture
    async def service(self, tmp_path: Path) -> AsyncIterator[SqliteArtifactService]:
        svc = SqliteArtifactService(f"sqlite:///{tmp_path}/artifacts.db")
        yield svc
        await svc.close()
