"""Round-tripping artifact payloads: bytes, text, file references, large and oversize."""

from __future__ import annotations

import pytest

from runners_core.artifacts.base import BaseArtifactService
from runners_core.artifacts.references import artifact_uri
from runners_core.content import Blob, FileData, Part
from runners_core.errors import ValidationError
from runners_core.testing.artifacts.suite import ArtifactSuite
from runners_core.testing.builders import NON_ASCII

CAPABILITY = None

MIB = 1024 * 1024


class Payloads(ArtifactSuite):
    async def test_every_artifact_part_kind_round_trips(self, service: BaseArtifactService) -> None:
        at = self.scope()
        parts = {
            "bytes.bin": Part.from_bytes(bytes(range(256)) * 8, "application/octet-stream"),
            "empty.bin": Part.from_bytes(b"", "application/octet-stream"),
            "text.txt": Part(text=NON_ASCII),
            "ref.pdf": Part.from_uri("gs://bucket/ref.pdf", "application/pdf"),
            "ünïcödé/名前.txt": Part(text="named"),
        }
        for name, part in parts.items():
            await service.save_artifact(**at, filename=name, artifact=part)
        for name, part in parts.items():
            got = await service.load_artifact(**at, filename=name)
            assert got == part, f"artifact round-trip: {name!r} came back as {got!r}"

    async def test_blob_display_name_and_references_round_trip(
        self, service: BaseArtifactService
    ) -> None:
        at = self.scope()
        blob = Part(
            inline_data=Blob(data=b"\x00\xffpng", mime_type="image/png", display_name="cat.png")
        )
        await service.save_artifact(**at, filename="cat.png", artifact=blob)
        assert await service.load_artifact(**at, filename="cat.png") == blob, (
            "artifact round-trip: an inline blob's display_name must survive save and load"
        )
        uri = artifact_uri(at["app_name"], at["user_id"], "cat.png", 0, at["session_id"])
        await service.save_artifact(
            **at, filename="alias", artifact=Part(file_data=FileData(file_uri=uri))
        )
        assert await service.load_artifact(**at, filename="alias") == blob, (
            "artifact round-trip: an artifact:// reference must load the artifact it names"
        )

    async def test_one_mebibyte_artifact_round_trips(self, service: BaseArtifactService) -> None:
        at = self.scope()
        part = Part.from_bytes(bytes(range(256)) * (MIB // 256), "application/octet-stream")
        await service.save_artifact(**at, filename="big.bin", artifact=part)
        got = await service.load_artifact(**at, filename="big.bin")
        assert got == part, "artifact round-trip: a 1 MiB artifact came back changed"

    async def test_oversize_artifact_is_rejected_and_not_stored(
        self, service: BaseArtifactService
    ) -> None:
        at = self.scope()
        limit = service.max_artifact_bytes
        service.max_artifact_bytes = 64 * 1024
        try:
            with pytest.raises(ValidationError):
                await service.save_artifact(
                    **at, filename="huge.bin", artifact=Part.from_bytes(b"x" * 65 * 1024, "a/b")
                )
        finally:
            service.max_artifact_bytes = limit
        assert await service.list_versions(**at, filename="huge.bin") == [], (
            "max_artifact_bytes: an artifact over the limit was stored"
        )
