"""Names that would escape their scope, bad identifiers and bad versions are refused."""

from __future__ import annotations

import pytest

from runners_core.artifacts.base import BaseArtifactService
from runners_core.content import Part
from runners_core.errors import ValidationError
from runners_core.testing.artifacts.suite import ArtifactSuite
from runners_core.testing.builders import BAD_ARTIFACT_NAMES, bad_ids

CAPABILITY = None


class Validation(ArtifactSuite):
    async def test_path_traversal_names_raise_validation_error(
        self, service: BaseArtifactService
    ) -> None:
        at = self.scope()
        for name in BAD_ARTIFACT_NAMES:
            for call, extra in (
                (service.save_artifact, {"artifact": Part(text="x")}),
                (service.load_artifact, {}),
                (service.delete_artifact, {}),
                (service.list_versions, {}),
            ):
                try:
                    await call(**at, filename=name, **extra)
                except ValidationError:
                    continue
                raise AssertionError(
                    f"artifact path validation: {call.__name__}(filename={name!r}) must raise "
                    "ValidationError"
                )
        assert await service.list_artifact_keys(**at) == [], (
            "artifact path validation: a rejected name was stored"
        )

    async def test_folder_names_are_allowed(self, service: BaseArtifactService) -> None:
        at = self.scope()
        await service.save_artifact(**at, filename="reports/2026/q1.txt", artifact=Part(text="q"))
        got = await service.load_artifact(**at, filename="reports/2026/q1.txt")
        assert got == Part(text="q"), "artifact names: '/' separated folder names must work"

    async def test_bad_identifiers_raise_validation_error(
        self, service: BaseArtifactService
    ) -> None:
        good = self.scope()
        for field in ("app_name", "user_id", "session_id"):
            for bad in bad_ids(field):
                if field == "session_id" and bad == "":
                    continue  # an empty session id is treated as "no session" by some callers
                with pytest.raises(ValidationError):
                    await service.save_artifact(
                        **{**good, field: bad}, filename="f.txt", artifact=Part(text="x")
                    )
                with pytest.raises(ValidationError):
                    await service.list_artifact_keys(**{**good, field: bad})

    async def test_bad_versions_raise_validation_error(self, service: BaseArtifactService) -> None:
        at = self.scope()
        await service.save_artifact(**at, filename="v.txt", artifact=Part(text="x"))
        for bad in (-1, "1", 1.5):
            with pytest.raises(ValidationError):
                await service.load_artifact(**at, filename="v.txt", version=bad)  # type: ignore[arg-type]

    async def test_non_file_parts_are_refused(self, service: BaseArtifactService) -> None:
        at = self.scope()
        with pytest.raises(ValidationError):
            await service.save_artifact(
                **at, filename="call.json", artifact=Part.from_function_call("f", {})
            )
        assert await service.list_artifact_keys(**at) == [], (
            "artifact validation: a refused function_call part was stored"
        )
