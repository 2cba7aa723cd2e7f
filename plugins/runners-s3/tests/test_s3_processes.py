"""Several processes saving one name at once, and a writer killed mid-upload (kill -9)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from runners_s3 import S3ArtifactService

from runners_core import Part

WORKER = str(Path(__file__).with_name("s3_worker.py"))
AT = {"app_name": "app", "user_id": "u", "session_id": "s"}
PROCESSES, SAVES = 4, 10


async def test_processes_saving_one_name_never_share_a_version(s3_url: str, tmp_path: Path) -> None:
    service = S3ArtifactService(s3_url)
    await service.list_artifact_keys(**AT)  # creates the bucket once, before the race
    barrier = tmp_path / "go"
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, WORKER, "save", s3_url, str(barrier), str(SAVES), f"p{n}",
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for n in range(PROCESSES)
    ]  # fmt: skip
    for proc in procs:  # every worker connected: start them at once
        assert proc.stdout is not None
        assert await proc.stdout.readline() == b"ready\n"
    barrier.touch()
    acknowledged: list[int] = []
    for proc in procs:
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()[-3000:]
        acknowledged += [int(line) for line in out.split()]
    total = PROCESSES * SAVES
    assert sorted(acknowledged) == list(range(total)), "a version number was handed out twice"
    try:
        assert await service.list_versions(**AT, filename="log.txt") == list(range(total))
        texts = set()
        for version in range(total):
            part = await service.load_artifact(**AT, filename="log.txt", version=version)
            texts.add(part.text)  # type: ignore[union-attr]
        assert texts == {f"p{n}-{i}" for n in range(PROCESSES) for i in range(SAVES)}
    finally:
        await service.close()


def run_until_paused(url: str) -> list[bytes]:
    proc = subprocess.Popen([sys.executable, WORKER, "pause", url], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    lines = [proc.stdout.readline().strip(), proc.stdout.readline().strip()]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return lines


async def test_kill_mid_upload_leaves_no_visible_partial_version(s3_url: str) -> None:
    assert await asyncio.to_thread(run_until_paused, s3_url) == [b"0", b"paused"]
    service = S3ArtifactService(s3_url)
    try:
        assert await service.list_versions(**AT, filename="big.bin") == [0]
        loaded = await service.load_artifact(**AT, filename="big.bin")
        assert loaded == Part.from_bytes(b"a" * 1024 * 1024, "application/octet-stream")
        # The dead writer's number (1) was claimed: it is skipped, never reused.
        saved = await service.save_artifact(**AT, filename="big.bin", artifact=Part(text="x"))
        assert saved == 2
        assert await service.list_versions(**AT, filename="big.bin") == [0, 2]
    finally:
        await service.close()
