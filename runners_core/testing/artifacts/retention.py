"""Deleting single artifact versions (capability ``"retention"``): the other versions keep
their numbers and contents, and the next save still gets a new, higher number."""

from __future__ import annotations

from runners_core.artifacts.base import BaseArtifactService
from runners_core.content import Part
from runners_core.testing.artifacts.suite import ArtifactSuite

CAPABILITY = "retention"


class Retention(ArtifactSuite):
    async def test_delete_artifact_versions_keeps_the_rest(
        self, service: BaseArtifactService
    ) -> None:
        scope = self.scope()
        for i in range(5):
            await service.save_artifact(
                **scope, filename="log.txt", artifact=Part.from_text(f"v{i}")
            )
        await service.save_artifact(**scope, filename="other.txt", artifact=Part.from_text("o"))
        await service.delete_artifact_versions(**scope, filename="log.txt", versions=[0, 1, 2])
        assert await service.list_versions(**scope, filename="log.txt") == [3, 4], (
            "retention: after deleting versions 0-2 of five, versions 3 and 4 must remain"
        )
        kept = await service.load_artifact(**scope, filename="log.txt", version=3)
        assert kept is not None and kept.text == "v3"
        assert await service.load_artifact(**scope, filename="log.txt", version=1) is None
        assert await service.list_versions(**scope, filename="other.txt") == [0]
        version = await service.save_artifact(
            **scope, filename="log.txt", artifact=Part.from_text("v5")
        )
        assert version == 5, f"retention: the next version after 4 must be 5, got {version}"
