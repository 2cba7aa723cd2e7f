"""SQLite artifacts beyond the kit: persistence, canonical URIs, metadata, processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from runners_sqlite import SqliteArtifactService

from runners_core import Part

AT = {"app_name": "app", "user_id": "u", "session_id": "s"}


async def test_versions_survive_reopening_with_metadata(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/artifacts.db"
    first = SqliteArtifactService(url)
    png = Part.from_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "image/png")
    assert await first.save_artifact(**AT, filename="chart.png", artifact=png) == 0
    saved = await first.save_artifact(
        **AT, filename="chart.png", artifact=png, custom_metadata={"dpi": 300, "tags": ["q3"]}
    )
    assert saved == 1
    await first.close()

    second = SqliteArtifactService(url)
    try:
        assert await second.load_artifact(**AT, filename="chart.png", version=0) == png
        versions = await second.list_artifact_versions(**AT, filename="chart.png")
        assert [v.version for v in versions] == [0, 1]
        latest = versions[-1]
        assert latest.mime_type == "image/png"
        assert latest.custom_metadata == {"dpi": 300, "tags": ["q3"]}
        assert latest.canonical_uri == (
            "sqlite://apps/app/users/u/sessions/s/artifacts/chart.png/versions/1"
        )
        assert versions[0].create_time <= latest.create_time
    finally:
        await second.close()


async def test_user_scope_is_shared_by_sessions_and_deletable(tmp_path: Path) -> None:
    service = SqliteArtifactService(f"sqlite:///{tmp_path}/artifacts.db")
    try:
        await service.save_artifact(**AT, filename="user:profile.txt", artifact=Part(text="me"))
        other = {**AT, "session_id": "other"}
        assert await service.load_artifact(**other, filename="user:profile.txt") == Part(text="me")
        assert await service.list_artifact_keys(**other) == ["user:profile.txt"]
        info = await service.get_artifact_version(**other, filename="user:profile.txt")
        assert info is not None and "/users/u/user/artifacts/" in info.canonical_uri
        await service.delete_artifact(**AT, filename="user:profile.txt")
        assert await service.list_artifact_keys(**other) == []
    finally:
        await service.close()


SAVE_FROM_A_PROCESS = """
import asyncio, sys
from runners_core import Part
from runners_core.services import artifact_service_from_url

async def main(url, n):
    service = artifact_service_from_url(url)
    for i in range(10):
        await service.save_artifact(app_name="app", user_id="u", session_id="s",
                                    filename="log.txt", artifact=Part(text=f"{n}-{i}"))
    await service.close()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_processes_saving_one_name_get_distinct_versions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/artifacts.db"

    async def run(n: int) -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SAVE_FROM_A_PROCESS, url, str(n), stderr=subprocess.PIPE
        )
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()

    await asyncio.gather(*(run(n) for n in range(3)))
    service = SqliteArtifactService(url)
    try:
        assert await service.list_versions(**AT, filename="log.txt") == list(range(30))
        texts = {
            (await service.load_artifact(**AT, filename="log.txt", version=v)).text  # type: ignore[union-attr]
            for v in range(30)
        }
        assert texts == {f"{n}-{i}" for n in range(3) for i in range(10)}
    finally:
        await service.close()


async def test_large_payloads_load_whole_through_blob_io(tmp_path: Path) -> None:
    """Payloads over 1 MiB are read with incremental blob I/O (held once, not twice)."""
    import os

    from runners_sqlite.artifacts import _INLINE_BYTES

    service = SqliteArtifactService(f"sqlite:///{tmp_path}/artifacts.db")
    try:
        sizes = (_INLINE_BYTES, _INLINE_BYTES + 1, 3 * _INLINE_BYTES + 7)
        payloads = [os.urandom(size) for size in sizes]
        for payload in payloads:
            await service.save_artifact(
                **AT, filename="big.bin", artifact=Part.from_bytes(payload, "x/bin")
            )
        for version, payload in enumerate(payloads):
            part = await service.load_artifact(**AT, filename="big.bin", version=version)
            assert part is not None and part.inline_data.data == payload  # type: ignore[union-attr]
            stored = await service.read_artifact_version(**AT, filename="big.bin", version=version)
            assert stored is not None and stored.data.data == payload
        latest = await service.load_artifact(**AT, filename="big.bin")  # no version: the newest
        assert latest is not None and latest.inline_data.data == payloads[-1]  # type: ignore[union-attr]
    finally:
        await service.close()
