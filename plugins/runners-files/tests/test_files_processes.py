"""Several processes saving at once, and processes killed mid-save (kill -9)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from runners_files import FileArtifactService

from runners_core import Part

WORKER = str(Path(__file__).with_name("files_worker.py"))
AT = {"app_name": "app", "user_id": "u", "session_id": "s"}
PROCESSES, SAVES = 4, 25


async def test_processes_saving_one_name_never_share_a_version(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/root"
    barrier = tmp_path / "go"
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, WORKER, "save", url, str(barrier), str(SAVES), f"p{n}",
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for n in range(PROCESSES)
    ]  # fmt: skip
    await asyncio.sleep(0.5)  # let every worker reach the barrier
    barrier.touch()
    acknowledged: list[int] = []
    for proc in procs:
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        acknowledged += [int(line) for line in out.split()]
    total = PROCESSES * SAVES
    assert sorted(acknowledged) == list(range(total)), "a version number was handed out twice"
    service = FileArtifactService(tmp_path / "root")
    assert await service.list_versions(**AT, filename="log.txt") == list(range(total))
    texts = {
        (await service.load_artifact(**AT, filename="log.txt", version=v)).text  # type: ignore[union-attr]
        for v in range(total)
    }
    assert texts == {f"p{n}-{i}" for n in range(PROCESSES) for i in range(SAVES)}


def start(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE)


def kill_when(proc: subprocess.Popen[bytes], line: bytes | None, count: int = 0) -> list[bytes]:
    """Read *proc*'s lines until *line* (or *count* lines), then kill -9 it; the lines read."""
    assert proc.stdout is not None
    seen = []
    for got in proc.stdout:
        seen.append(got.strip())
        if got.strip() == line or len(seen) == count:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return seen


@pytest.mark.parametrize(("stage", "next_version"), [("payload", 1), ("sidecar", 2)])
async def test_kill_mid_save_leaves_no_visible_partial_version(
    tmp_path: Path, stage: str, next_version: int
) -> None:
    url = f"file://{tmp_path}/root"
    proc = start(WORKER, "pause", url, stage)
    assert kill_when(proc, b"paused") == [b"0", b"paused"]
    folder = tmp_path / "root/app/u/sessions/s/doc.bin"
    leftovers = sorted(p.name for p in folder.iterdir())
    assert any(name.startswith(".tmp-") for name in leftovers), leftovers  # it was mid-write
    service = FileArtifactService(tmp_path / "root")
    assert await service.list_versions(**AT, filename="doc.bin") == [0]
    assert await service.load_artifact(**AT, filename="doc.bin") == Part.from_bytes(
        b"a" * 3 * 1024 * 1024, "application/octet-stream"
    )
    # A number a dead writer claimed is skipped, never reused.
    saved = await service.save_artifact(**AT, filename="doc.bin", artifact=Part(text="after"))
    assert saved == next_version
    assert await service.load_artifact(**AT, filename="doc.bin") == Part(text="after")


async def test_repeated_kills_never_lose_or_corrupt_an_acknowledged_save(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/root"
    acknowledged: set[int] = set()
    for _ in range(3):
        proc = start(WORKER, "loop", url)
        # Kill after a few saves; with 4 MiB payloads and fsyncs the kill usually lands
        # inside the next one (the deterministic stages are tested above).
        lines = kill_when(proc, None, count=3)
        assert len(lines) == 3, "the writer died before it was killed"
        acknowledged |= {int(line) for line in lines}
        service = FileArtifactService(tmp_path / "root")
        versions = await service.list_versions(**AT, filename="big.bin")
        assert acknowledged <= set(versions), "an acknowledged save was lost"
        for version in versions:
            part = await service.load_artifact(**AT, filename="big.bin", version=version)
            data = part.inline_data.data  # type: ignore[union-attr]
            assert len(data) == 4 * 1024 * 1024 and len(set(data)) == 1, "a partial version"
