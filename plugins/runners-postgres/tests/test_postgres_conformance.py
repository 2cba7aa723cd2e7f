"""The runners-core conformance kit, in full, against the PostgreSQL services."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from runners_postgres import (
    PostgresArtifactService,
    PostgresMemoryService,
    PostgresSessionService,
)

from runners_core.testing import (
    ArtifactServiceContract,
    MemoryServiceContract,
    SessionServiceContract,
)


class TestPostgresSessions(SessionServiceContract):
    @pytest.fixture
    async def service(self, pg_url: str) -> AsyncIterator[PostgresSessionService]:
        svc = PostgresSessionService(pg_url)
        yield svc
        await svc.close()

    @pytest.fixture
    def service_url(self, pg_url: str) -> str:
        return pg_url


class TestPostgresMemory(MemoryServiceContract):
    @pytest.fixture
    async def service(self, pg_url: str) -> AsyncIterator[PostgresMemoryService]:
        svc = PostgresMemoryService(pg_url)
        yield svc
        await svc.close()


class TestPostgresArtifacts(ArtifactServiceContract):
    @pytest.fixture
    async def service(self, pg_url: str) -> AsyncIterator[PostgresArtifactService]:
        svc = PostgresArtifactService(pg_url)
        yield svc
        await svc.close()
