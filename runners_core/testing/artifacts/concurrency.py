"""Concurrent saves of one name each get their own version; none is lost."""

from __future__ import annotations

import asyncio

from runners_core.artifacts.base import BaseArtifactService
from runners_core.content import Part
from runners_core.testing.artifacts.suite import ArtifactSuite

CAPABILITY = None

WRITERS = 20


class Concurrency(ArtifactSuite):
    async def test_concurrent_saves_get_distinct_versions(
        self, service: BaseArtifactService
    ) -> None:
        at = self.scope()
        versions = await asyncio.gather(
            *(
                service.save_artifact(**at, filename="log.txt", artifact=Part(text=f"w{n}"))
                for n in range(WRITERS)
            )
        )
        assert sorted(versions) == list(range(WRITERS)), (
            f"concurrent artifact saves: {WRITERS} saves must get versions 0..{WRITERS - 1} "
            f"once each, got {sorted(versions)}"
        )
        for n, version in enumerate(versions):
            got = await service.load_artifact(**at, filename="log.txt", version=version)
            assert got == Part(text=f"w{n}"), (
                f"concurrent artifact saves: version {version} holds {got}, not writer {n}'s data"
            )
