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
        assert kept is not None and kept.text == "v3", (
            "retention: a version kept after deleting older ones must load unchanged"
        )
        assert await service.load_artifact(**scope, filename="log.txt", version=1) is None, (
            "retention: a deleted artifact version must no longer load"
        )
        assert await service.list_versions(**scope, filename="other.txt") == [0], (
            "retention: deleting versions of one name touched another name"
        )
        version = await service.save_artifact(
            **scope, filename="log.txt", artifact=Part.from_text("v5")
        )
        assert version == 5, f"retention: the next version after 4 must be 5, got {version}"

    async def test_import_artifact_version_stores_exactly_that_version(
        self, service: BaseArtifactService
    ) -> None:
        from runners_core.artifacts.base import ArtifactData

        scope = self.scope()
        data = ArtifactData("blob", b"\x00\xffimported", "application/x-test", {"k": [1, "v"]})
        stored = await service.import_artifact_version(
            **scope, filename="a.bin", version=3, data=data, create_time=1_700_000_123.5
        )
        again = await service.import_artifact_version(
            **scope, filename="a.bin", version=3, data=data, create_time=1_700_000_123.5
        )
        assert (stored, again) == (True, False), (
            "import_artifact_version: True when stored, False when the version exists already"
        )
        [info] = await service.list_artifact_versions(**scope, filename="a.bin")
        assert (info.version, info.create_time, info.custom_metadata, info.mime_type) == (
            3,
            1_700_000_123.5,
            {"k": [1, "v"]},
            "application/x-test",
        ), f"import_artifact_version: metadata not kept exactly: {info}"
        part = await service.load_artifact(**scope, filename="a.bin", version=3)
        assert part is not None and part.inline_data.data == b"\x00\xffimported", (
            "import_artifact_version: the imported bytes must load back exactly"
        )
        nxt = await service.save_artifact(**scope, filename="a.bin", artifact=Part.from_text("x"))
        assert nxt == 4, f"after an imported version 3 the next save must be 4, got {nxt}"
