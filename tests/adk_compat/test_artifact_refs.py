"""artifact:// references and Blob.display_name, as ADK's artifact services handle them."""

from __future__ import annotations

import pytest

from runners_core import Blob, FileData, InMemoryArtifactService, Part
from runners_core.errors import ValidationError

AT = {"app_name": "app", "user_id": "ada", "session_id": "s1"}


async def test_a_reference_loads_the_referenced_artifact():
    service = InMemoryArtifactService()
    await service.save_artifact(**AT, filename="report.txt", artifact=Part(text="v0"))
    await service.save_artifact(**AT, filename="report.txt", artifact=Part(text="v1"))
    ref = Part(
        file_data=FileData(
            file_uri="artifact://apps/app/users/ada/sessions/s1/artifacts/report.txt/versions/0",
            mime_type="text/plain",
        )
    )
    await service.save_artifact(**AT, filename="alias.txt", artifact=ref)
    assert await service.load_artifact(**AT, filename="alias.txt") == Part(text="v0")


async def test_user_scoped_references_and_chains_resolve():
    service = InMemoryArtifactService()
    await service.save_artifact(**AT, filename="user:avatar", artifact=Part(text="me"))
    first = "artifact://apps/app/users/ada/artifacts/user:avatar/versions/0"
    await service.save_artifact(
        **AT, filename="a", artifact=Part(file_data=FileData(file_uri=first))
    )
    second = "artifact://apps/app/users/ada/sessions/s1/artifacts/a/versions/0"
    await service.save_artifact(
        **AT, filename="b", artifact=Part(file_data=FileData(file_uri=second))
    )
    assert await service.load_artifact(**AT, filename="b") == Part(text="me")


@pytest.mark.parametrize(
    "uri",
    [
        "artifact://apps/app/users/eve/sessions/s1/artifacts/secret.txt/versions/0",
        "artifact://apps/other/users/ada/artifacts/secret.txt/versions/0",
        "artifact://apps/app/users/ada/sessions/s2/artifacts/secret.txt/versions/0",
        "artifact://nonsense",
    ],
)
async def test_references_outside_the_callers_scope_are_refused(uri):
    service = InMemoryArtifactService()
    with pytest.raises(ValidationError):
        await service.save_artifact(
            **AT, filename="x", artifact=Part(file_data=FileData(file_uri=uri))
        )
    assert await service.list_artifact_keys(**AT) == []


async def test_a_reference_loop_is_a_clear_error():
    service = InMemoryArtifactService()
    loop = "artifact://apps/app/users/ada/sessions/s1/artifacts/self/versions/0"
    await service.save_artifact(
        **AT, filename="self", artifact=Part(file_data=FileData(file_uri=loop))
    )
    with pytest.raises(ValidationError, match="references in a row"):
        await service.load_artifact(**AT, filename="self")


async def test_blob_display_name_survives_save_and_load():
    service = InMemoryArtifactService()
    part = Part(inline_data=Blob(data=b"\x89PNG", mime_type="image/png", display_name="cat.png"))
    await service.save_artifact(**AT, filename="cat", artifact=part)
    loaded = await service.load_artifact(**AT, filename="cat")
    assert loaded == part and loaded.inline_data.display_name == "cat.png"
    version = await service.get_artifact_version(**AT, filename="cat")
    assert version.mime_type == "image/png"
