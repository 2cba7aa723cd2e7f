"""Versioning: versions count from 0 per name and scope; any version can be loaded."""

from __future__ import annotations

from runners_core.artifacts.base import BaseArtifactService
from runners_core.content import Part
from runners_core.testing.artifacts.suite import ArtifactSuite

CAPABILITY = None


class Versions(ArtifactSuite):
    async def test_versions_count_from_zero(self, service: BaseArtifactService) -> None:
        at = self.scope()
        got = [
            await service.save_artifact(**at, filename="notes.txt", artifact=Part(text=f"v{i}"))
            for i in range(3)
        ]
        assert got == [0, 1, 2], f"artifact versions: expected 0, 1, 2 for three saves, got {got}"
        listed = await service.list_versions(**at, filename="notes.txt")
        assert listed == [0, 1, 2], f"artifact versions: list_versions gave {listed}"

    async def test_load_latest_and_each_version(self, service: BaseArtifactService) -> None:
        at = self.scope()
        for i in range(3):
            await service.save_artifact(**at, filename="n.txt", artifact=Part(text=f"v{i}"))
        latest = await service.load_artifact(**at, filename="n.txt")
        assert latest == Part(text="v2"), f"load_artifact: latest must be v2, got {latest}"
        for i in range(3):
            got = await service.load_artifact(**at, filename="n.txt", version=i)
            assert got == Part(text=f"v{i}"), f"load_artifact(version={i}) returned {got}"

    async def test_missing_name_or_version_loads_none(self, service: BaseArtifactService) -> None:
        at = self.scope()
        assert await service.load_artifact(**at, filename="nothing.txt") is None, (
            "load_artifact: a name that was never saved must load as None"
        )
        await service.save_artifact(**at, filename="one.txt", artifact=Part(text="x"))
        assert await service.load_artifact(**at, filename="one.txt", version=7) is None, (
            "load_artifact: a version that was never saved must load as None"
        )
        missing = await service.get_artifact_version(**at, filename="one.txt", version=7)
        assert missing is None, "get_artifact_version: an unsaved version must give None"
        listed = await service.list_versions(**at, filename="nothing.txt")
        assert listed == [], f"list_versions: an unsaved name must have no versions: {listed}"

    async def test_version_metadata(self, service: BaseArtifactService) -> None:
        at = self.scope()
        await service.save_artifact(
            **at,
            filename="img.png",
            artifact=Part.from_bytes(b"\x89PNG", "image/png"),
            custom_metadata={"origin": "camera", "n": 1},
        )
        await service.save_artifact(**at, filename="img.png", artifact=Part(text="caption"))
        infos = await service.list_artifact_versions(**at, filename="img.png")
        assert [i.version for i in infos] == [0, 1], (
            f"artifact metadata: list_artifact_versions gave versions {[i.version for i in infos]}"
        )
        first = infos[0]
        assert first.mime_type == "image/png", f"artifact metadata: mime_type {first.mime_type}"
        assert first.custom_metadata == {"origin": "camera", "n": 1}, (
            f"artifact metadata: custom_metadata came back as {first.custom_metadata}"
        )
        assert len({i.canonical_uri for i in infos}) == 2, (
            "artifact metadata: each version needs its own canonical_uri"
        )
        latest = await service.get_artifact_version(**at, filename="img.png")
        assert latest is not None and latest.version == 1, (
            f"artifact metadata: get_artifact_version() must describe the latest, got {latest}"
        )

    async def test_delete_removes_every_version(self, service: BaseArtifactService) -> None:
        at = self.scope()
        for i in range(2):
            await service.save_artifact(**at, filename="gone.txt", artifact=Part(text=str(i)))
        await service.save_artifact(**at, filename="kept.txt", artifact=Part(text="k"))
        await service.delete_artifact(**at, filename="gone.txt")
        assert await service.load_artifact(**at, filename="gone.txt") is None, (
            "delete_artifact: the deleted artifact still loads"
        )
        assert await service.load_artifact(**at, filename="gone.txt", version=0) is None, (
            "delete_artifact: every version must be deleted, version 0 survived"
        )
        listed = await service.list_versions(**at, filename="gone.txt")
        assert listed == [], f"delete_artifact: versions {listed} are still listed"
        keys = await service.list_artifact_keys(**at)
        assert keys == ["kept.txt"], f"delete_artifact: must delete only that name: {keys}"
        await service.delete_artifact(**at, filename="never-saved.txt")
