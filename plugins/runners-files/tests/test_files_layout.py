"""What the filesystem store writes: layout, sidecars, URLs, options, configuration."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from runners_files import FileArtifactService, parse_url

from runners_core import BaseAgent, Part, Runner
from runners_core.artifacts.keys import MAX_ENTRY_BYTES
from runners_core.content import Content
from runners_core.errors import ConfigError, ValidationError
from runners_core.services import artifact_service_from_url

AT = {"app_name": "app", "user_id": "u", "session_id": "s"}


async def test_versions_are_files_with_sidecars(tmp_path: Path) -> None:
    service = FileArtifactService(f"file://{tmp_path}/root")
    png = Part.from_bytes(b"\x89PNG" + bytes(range(256)), "image/png")
    assert await service.save_artifact(**AT, filename="reports/q1.png", artifact=png) == 0
    await service.save_artifact(
        **AT, filename="reports/q1.png", artifact=png, custom_metadata={"dpi": 300}
    )
    folder = tmp_path / "root" / "app" / "u" / "sessions" / "s" / "reports%2Fq1.png"
    assert sorted(p.name for p in folder.iterdir()) == ["0.data", "0.json", "1.data", "1.json"]
    assert (folder / "1.data").read_bytes() == png.inline_data.data  # type: ignore[union-attr]
    sidecar = json.loads((folder / "1.json").read_text())
    assert sidecar["name"] == "reports/q1.png" and sidecar["version"] == 1
    assert sidecar["mime_type"] == "image/png" and sidecar["custom_metadata"] == {"dpi": 300}
    assert sidecar["size"] == 260
    assert sidecar["sha256"] == hashlib.sha256(png.inline_data.data).hexdigest()  # type: ignore[union-attr]
    info = await service.get_artifact_version(**AT, filename="reports/q1.png")
    assert info is not None and info.create_time == sidecar["create_time"]
    assert info.custom_metadata == {"dpi": 300} and info.mime_type == "image/png"
    # The canonical URI is the payload file itself.
    assert Path(unquote(urlsplit(info.canonical_uri).path)) == folder / "1.data"
    # No temporary file is left behind by a successful save.
    assert not [p for p in folder.parent.rglob(".*") if p.name != ".runners-files.json"]


async def test_user_names_live_once_per_user(tmp_path: Path) -> None:
    service = FileArtifactService(tmp_path / "root")  # a plain path works too
    await service.save_artifact(**AT, filename="user:cv.pdf", artifact=Part(text="cv"))
    await service.save_artifact(**{**AT, "session_id": None}, filename="x", artifact=Part(text="x"))
    user_dir = tmp_path / "root" / "app" / "u" / "user"
    assert sorted(p.name for p in user_dir.iterdir()) == ["user:cv.pdf", "x"]
    other = {**AT, "session_id": "other"}
    assert await service.list_artifact_keys(**other) == ["user:cv.pdf", "x"]


async def test_relative_url_resolves_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    service = artifact_service_from_url("file://.runners/artifacts")
    assert isinstance(service, FileArtifactService)
    assert service.root == tmp_path / ".runners" / "artifacts"
    monkeypatch.chdir("/")  # resolved when built: a later chdir changes nothing
    await service.save_artifact(**AT, filename="a.txt", artifact=Part(text="a"))
    assert (tmp_path / ".runners/artifacts/app/u/sessions/s/a.txt/0.data").read_text() == "a"


def test_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_url("file://~/agents/art").root == tmp_path / "agents" / "art"
    assert parse_url("file:///var/lib/art").root == Path("/var/lib/art")
    assert parse_url("file://localhost/var/lib/art").root == Path("/var/lib/art")
    assert parse_url("file:///my%20dir").root == Path("/my dir")
    assert parse_url("file:///x?max_artifact_bytes=10").max_artifact_bytes == 10
    for bad in ("file://", "file:///x?colour=red", "file:///x?max_artifact_bytes=0", "x://y"):
        with pytest.raises(ConfigError):
            parse_url(bad)


async def test_size_limit_from_the_url(tmp_path: Path) -> None:
    service = artifact_service_from_url(f"file://{tmp_path}/r?max_artifact_bytes=4")
    with pytest.raises(ValidationError, match="max_artifact_bytes"):
        await service.save_artifact(**AT, filename="big", artifact=Part.from_bytes(b"12345", "a/b"))
    assert await service.list_artifact_keys(**AT) == []


async def test_unserialisable_metadata_is_refused_before_writing(tmp_path: Path) -> None:
    service = FileArtifactService(tmp_path / "r")
    with pytest.raises(ValidationError, match="custom_metadata"):
        await service.save_artifact(
            **AT, filename="a", artifact=Part(text="a"), custom_metadata={"x": object()}
        )
    assert not (tmp_path / "r" / "app").exists()


async def test_long_names_and_ids_stay_within_component_limits(tmp_path: Path) -> None:
    service = FileArtifactService(tmp_path / "r")
    long_id = "u" * 256
    name = "dir/" + "é" * 600 + ".txt"
    at = {"app_name": "a" * 256, "user_id": long_id, "session_id": "s" * 256}
    assert await service.save_artifact(**at, filename=name, artifact=Part(text="long")) == 0
    assert await service.save_artifact(**at, filename=name, artifact=Part(text="v1")) == 1
    assert await service.load_artifact(**at, filename=name, version=0) == Part(text="long")
    assert await service.list_artifact_keys(**at) == [name]
    assert all(len(p.name.encode()) <= MAX_ENTRY_BYTES for p in (tmp_path / "r").rglob("*"))


async def test_agent_artifacts_from_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("RUNNERS_CORE_ARTIFACT_SERVICE", "RUNNERS_CORE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.runners_core]\nartifact_service = "file://.runners/artifacts"\n'
    )

    class Saver(BaseAgent):
        async def _run_async_impl(self, ctx):  # type: ignore[no-untyped-def]
            version = await ctx.save_artifact("notes.txt", Part(text="kept"))
            yield ctx.event(f"saved v{version}")

    async with Runner.from_config(Saver(name="saver"), auto_create_session=True) as runner:
        assert isinstance(runner.artifact_service, FileArtifactService)
        message = Content.from_text("go", role="user")
        async for _ in runner.run_async(user_id="u", session_id="s", new_message=message):
            pass
    stored = tmp_path / ".runners/artifacts/saver/u/sessions/s/notes.txt/0.data"
    assert stored.read_text() == "kept"


@pytest.mark.parametrize(("synchronous", "fsyncs"), [("full", 3), ("normal", 0)])
async def test_synchronous_decides_whether_saves_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synchronous: str, fsyncs: int
) -> None:
    service = FileArtifactService(f"file://{tmp_path}/r?synchronous={synchronous}")
    await service.save_artifact(**AT, filename="a", artifact=Part(text="first"))
    calls: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd) or real_fsync(fd))
    await service.save_artifact(**AT, filename="a", artifact=Part(text="second"))
    # full: the payload, the sidecar and the directory holding both names.
    assert len(calls) == fsyncs
    assert await service.load_artifact(**AT, filename="a") == Part(text="second")
    with pytest.raises(ConfigError, match="synchronous"):
        parse_url("file:///x?synchronous=sometimes")
