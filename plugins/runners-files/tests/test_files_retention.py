"""Retention and exact imports on files: what the conformance kit cannot see from outside."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from runners_files import FileArtifactService

from runners_core import Part
from runners_core.artifacts.base import ArtifactData
from runners_core.errors import BackendError

AT = {"app_name": "app", "user_id": "u", "session_id": "s"}
DATA = ArtifactData("blob", b"imported", "application/x-test", {})


def folder(tmp_path: Path, name: str) -> Path:
    return tmp_path / "root" / "app" / "u" / "sessions" / "s" / name


async def test_deleted_versions_leave_no_files(tmp_path: Path) -> None:
    service = FileArtifactService(tmp_path / "root")
    for i in range(3):
        await service.save_artifact(**AT, filename="a.txt", artifact=Part.from_text(f"v{i}"))
    await service.delete_artifact_versions(**AT, filename="a.txt", versions=[0, 1])
    assert sorted(p.name for p in folder(tmp_path, "a.txt").iterdir()) == ["2.data", "2.json"]


async def test_import_takes_over_the_claim_of_a_dead_writer(tmp_path: Path) -> None:
    service = FileArtifactService(tmp_path / "root")
    await service.save_artifact(**AT, filename="a.bin", artifact=Part.from_text("v0"))
    # A writer claimed version 1 and died before its sidecar, an hour and more ago.
    claim = folder(tmp_path, "a.bin") / "1.data"
    claim.write_bytes(b"half written")
    old = time.time() - 2 * 3600
    os.utime(claim, (old, old))
    assert await service.import_artifact_version(
        **AT, filename="a.bin", version=1, data=DATA, create_time=1_700_000_000.0
    )
    part = await service.load_artifact(**AT, filename="a.bin", version=1)
    assert part is not None and part.inline_data.data == b"imported"  # type: ignore[union-attr]


async def test_import_refuses_a_version_another_writer_is_writing(tmp_path: Path) -> None:
    service = FileArtifactService(tmp_path / "root")
    await service.save_artifact(**AT, filename="a.bin", artifact=Part.from_text("v0"))
    (folder(tmp_path, "a.bin") / "1.data").write_bytes(b"being written")
    with pytest.raises(BackendError, match="being written by another writer; retry"):
        await service.import_artifact_version(
            **AT, filename="a.bin", version=1, data=DATA, create_time=1_700_000_000.0
        )
    assert (folder(tmp_path, "a.bin") / "1.data").read_bytes() == b"being written"
    assert await service.list_versions(**AT, filename="a.bin") == [0]
