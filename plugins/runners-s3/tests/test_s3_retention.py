"""Retention and exact imports on S3: what the conformance kit cannot see from outside."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from runners_s3 import S3ArtifactService

from runners_core import Part
from runners_core.artifacts.base import ArtifactData
from runners_core.errors import BackendError
from runners_core.services import artifact_service_from_url

AT = {"app_name": "app", "user_id": "u", "session_id": "s"}
FOLDER = "art/app/u/sessions/s/a.bin/"
DATA = ArtifactData("blob", b"imported", "application/x-test", {})


@pytest.fixture
async def service(s3_url: str) -> AsyncIterator[S3ArtifactService]:
    svc = artifact_service_from_url(s3_url)
    assert isinstance(svc, S3ArtifactService)
    yield svc
    await svc.close()


async def keys(service: S3ArtifactService) -> list[str]:
    async with service._clients.client("test") as client:  # type: ignore[attr-defined]
        listing = await client.list_objects_v2(Bucket=service.settings.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", ()))


async def test_deleted_versions_leave_no_objects(service: S3ArtifactService) -> None:
    for i in range(3):
        await service.save_artifact(**AT, filename="a.bin", artifact=Part.from_text(f"v{i}"))
    await service.delete_artifact_versions(**AT, filename="a.bin", versions=[0, 1])
    assert await keys(service) == [f"{FOLDER}2.data", f"{FOLDER}2.json"]


async def test_import_refuses_a_version_another_writer_is_writing(
    service: S3ArtifactService,
) -> None:
    await service.save_artifact(**AT, filename="a.bin", artifact=Part.from_text("v0"))
    async with service._clients.client("test") as client:  # type: ignore[attr-defined]
        # A writer has claimed version 1 (its payload) and not yet written the sidecar.
        await client.put_object(
            Bucket=service.settings.bucket, Key=f"{FOLDER}1.data", Body=b"being written"
        )
    with pytest.raises(BackendError, match="being written by another writer; retry"):
        await service.import_artifact_version(
            **AT, filename="a.bin", version=1, data=DATA, create_time=1_700_000_000.0
        )
    assert await service.list_versions(**AT, filename="a.bin") == [0]
    # Once that writer is done, importing the version again changes nothing.
    await service.import_artifact_version(
        **AT, filename="a.bin", version=2, data=DATA, create_time=1_700_000_000.0
    )
    again = await service.import_artifact_version(
        **AT, filename="a.bin", version=2, data=DATA, create_time=1_700_000_000.0
    )
    assert again is False and await service.list_versions(**AT, filename="a.bin") == [0, 2]


async def test_a_large_imported_version_is_uploaded_in_parts(s3_url: str) -> None:
    import os

    mib = 1024 * 1024
    service = S3ArtifactService(s3_url, multipart_threshold=5 * mib, part_size=5 * mib)
    try:
        payload = os.urandom(6 * mib + 3)
        data = ArtifactData("blob", payload, "application/x-test", {"k": 1})
        assert await service.import_artifact_version(
            **AT, filename="a.bin", version=4, data=data, create_time=1_700_000_000.0
        )
        stored = await service.read_artifact_version(**AT, filename="a.bin", version=4)
        assert stored is not None and stored.data.data == payload
        assert stored.create_time == 1_700_000_000.0 and stored.data.custom_metadata == {"k": 1}
        assert await keys(service) == [f"{FOLDER}4.data", f"{FOLDER}4.json"]
    finally:
        await service.close()
