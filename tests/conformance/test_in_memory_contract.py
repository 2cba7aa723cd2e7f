"""The in-memory services run the conformance kit exactly as a backend package would."""

import pytest

from runners_core import InMemoryArtifactService, InMemoryMemoryService, InMemorySessionService
from runners_core.testing import (
    ArtifactServiceContract,
    MemoryServiceContract,
    SessionServiceContract,
)


class TestInMemorySessions(SessionServiceContract):
    @pytest.fixture
    async def service(self):
        service = InMemorySessionService()
        yield service
        await service.close()


class TestInMemoryMemory(MemoryServiceContract):
    @pytest.fixture
    def service(self):
        return InMemoryMemoryService()


class TestInMemoryArtifacts(ArtifactServiceContract):
    @pytest.fixture
    def service(self):
        return InMemoryArtifactService()
