"""What runners-s3 writes: key layout, sidecars, URLs, configuration, foreign objects."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from runners_s3 import S3ArtifactService, parse_url

from runners_core import BaseAgent, Part, Runner
from runners_core.content import Content
from runners_core.errors import BackendError
from runners_core.services import artifact_service_from_url

AT = {"app_name": "app", "user_id": "u", "session_id": "s"}


@pytest.fixture
async def service(s3_url: str) -> AsyncIterator[S3ArtifactService]:
    svc = artifact_service_from_url(s3_url)
    assert isinstance(svc, S3ArtifactService)
    yield svc
    await svc.close()


async def objects(service: S3ArtifactService) -> dict[str, bytes]:
    bucket = service.settings.bucket
    found = {}
    async with service._clients.client("test") as client:  # type: ignore[attr-defined]
        listing = await client.list_objects_v2(Bucket=bucket)
        for item in listing.get("Contents", ()):
            body = (await client.get_object(Bucket=bucket, Key=item["Key"]))["Body"]
            async with body:
                found[item["Key"]] = await body.read()
    return found


async def put(service: S3ArtifactService, key: str, body: bytes) -> None:
    async with service._clients.client("test") as client:  # type: ignore[attr-defined]
        await client.put_object(Bucket=service.settings.bucket, Key=key, Body=body)


async def test_versions_are_objects_with_sidecars(service: S3ArtifactService) -> None:
    png = Part.from_bytes(b"\x89PNG" + bytes(range(256)), "image/png")
    await service.save_artifact(**AT, filename="reports/q1.png", artifact=png)
    await service.save_artifact(
        **AT, filename="reports/q1.png", artifact=png, custom_metadata={"dpi": 300}
    )
    await service.save_artifact(**AT, filename="user:cv.txt", artifact=Part(text="cv"))
    stored = await objects(service)
    folder = "art/app/u/sessions/s/reports%2Fq1.png/"
    assert sorted(stored) == [
        f"{folder}0.data", f"{folder}0.json", f"{folder}1.data", f"{folder}1.json",
        "art/app/u/user/user:cv.txt/0.data", "art/app/u/user/user:cv.txt/0.json",
    ]  # fmt: skip
    assert stored[f"{folder}1.data"] == png.inline_data.data  # type: ignore[union-attr]
    sidecar = json.loads(stored[f"{folder}1.json"])
    assert sidecar["format"] == "runners-s3/1" and sidecar["name"] == "reports/q1.png"
    assert sidecar["version"] == 1 and sidecar["mime_type"] == "image/png"
    assert sidecar["custom_metadata"] == {"dpi": 300} and sidecar["size"] == 260
    assert sidecar["sha256"] == hashlib.sha256(png.inline_data.data).hexdigest()  # type: ignore[union-attr]
    info = await service.get_artifact_version(**AT, filename="reports/q1.png")
    assert info is not None
    assert info.canonical_uri == f"s3://{service.settings.bucket}/{folder}1.data"
    assert info.create_time == sidecar["create_time"]


async def test_damaged_payloads_and_foreign_objects_fail_clearly(
    service: S3ArtifactService,
) -> None:
    await service.save_artifact(**AT, filename="a.txt", artifact=Part(text="one"))
    await put(service, "art/app/u/sessions/s/a.txt/0.data", b"two")
    with pytest.raises(BackendError, match="SHA-256"):
        await service.load_artifact(**AT, filename="a.txt")
    await put(service, "art/app/u/sessions/s/notes/readme.md", b"by hand")
    with pytest.raises(BackendError, match="readme.md is not a version object"):
        await service.list_artifact_keys(**AT)
    await put(service, "art/app/u/sessions/s/a.txt/0.json", b"{}")
    with pytest.raises(BackendError, match="not written by runners-s3"):
        await service.load_artifact(**AT, filename="a.txt")


async def test_long_names_are_hashed_and_listed(service: S3ArtifactService) -> None:
    name = "dir/" + "é" * 600
    at = {"app_name": "a" * 256, "user_id": "u" * 256, "session_id": "s" * 256}
    await service.save_artifact(**at, filename=name, artifact=Part(text="long"))
    assert await service.list_artifact_keys(**at) == [name]
    assert await service.load_artifact(**at, filename=name) == Part(text="long")
    assert all(len(key.encode()) <= 1024 for key in await objects(service))


def test_url_forms() -> None:
    settings = parse_url("s3://bucket/a/b/?region=eu-west-1&multipart_threshold=33554432")
    assert (settings.bucket, settings.prefix, settings.region) == ("bucket", "a/b/", "eu-west-1")
    assert settings.addressing_style == "auto" and settings.multipart_threshold == 32 * 2**20
    assert parse_url("s3://bucket").prefix == ""
    local = parse_url("s3://bucket?endpoint_url=http://127.0.0.1:9000/")
    assert local.endpoint_url == "http://127.0.0.1:9000" and local.addressing_style == "path"
    assert parse_url("s3://bucket", create_bucket=True, part_size=6 * 2**20).part_size == 6 * 2**20


async def test_agent_artifacts_from_configuration(
    s3_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("RUNNERS_CORE_ARTIFACT_SERVICE", "RUNNERS_CORE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.runners_core]\nartifact_service = "{s3_url}"\n'
    )

    class Saver(BaseAgent):
        async def _run_async_impl(self, ctx: Any):  # type: ignore[no-untyped-def]
            version = await ctx.save_artifact("notes.txt", Part(text="kept"))
            yield ctx.event(f"saved v{version}")

    async with Runner.from_config(Saver(name="saver"), auto_create_session=True) as runner:
        assert isinstance(runner.artifact_service, S3ArtifactService)
        message = Content.from_text("go", role="user")
        async for _ in runner.run_async(user_id="u", session_id="s", new_message=message):
            pass
        part = await runner.artifact_service.load_artifact(
            app_name="saver", user_id="u", session_id="s", filename="notes.txt"
        )
    assert part == Part(text="kept")
