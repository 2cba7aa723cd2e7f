"""A 200 MiB artifact: uploaded in parts, never copied whole, loaded back intact."""

from __future__ import annotations

import hashlib
import tracemalloc

from runners_s3 import S3ArtifactService

from runners_core import Part

AT = {"app_name": "app", "user_id": "u", "session_id": "s"}
MIB = 1024 * 1024
SIZE = 200 * MIB


async def test_a_200_mib_artifact_is_uploaded_in_parts_and_round_trips(s3_url: str) -> None:
    service = S3ArtifactService(s3_url, max_artifact_bytes=SIZE)
    payload = bytes(range(256)) * (SIZE // 256)
    digest = hashlib.sha256(payload).hexdigest()
    part = Part.from_bytes(payload, "application/octet-stream")
    try:
        tracemalloc.start()
        try:
            assert await service.save_artifact(**AT, filename="big.bin", artifact=part) == 0
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # Parts are sliced one at a time from the payload (max_concurrency x part_size in
        # flight), so a save allocates a small fraction of the artifact, never a copy of it.
        settings = service.settings
        assert peak < SIZE // 4, f"a save allocated {peak / MIB:.0f} MiB for a 200 MiB artifact"
        assert peak < (settings.max_concurrency + 4) * settings.part_size
        del part, payload
        info = await service.get_artifact_version(**AT, filename="big.bin")
        assert info is not None
        key = info.canonical_uri.removeprefix(f"s3://{settings.bucket}/")
        async with service._clients.client("checking") as client:  # type: ignore[attr-defined]
            head = await client.head_object(Bucket=settings.bucket, Key=key)
        assert head["ContentLength"] == SIZE
        assert head["ETag"].strip('"').endswith(f"-{SIZE // settings.part_size}"), (
            f"not a multipart upload: ETag {head['ETag']}"
        )
        loaded = await service.load_artifact(**AT, filename="big.bin")
        assert loaded is not None and loaded.inline_data is not None
        assert hashlib.sha256(loaded.inline_data.data).hexdigest() == digest
    finally:
        await service.close()
