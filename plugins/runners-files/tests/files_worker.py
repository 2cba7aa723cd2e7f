"""Child process of test_files_processes.py.

    python files_worker.py save URL BARRIER N TAG   wait for BARRIER, save log.txt N times
    python files_worker.py pause URL STAGE          save doc.bin once, then freeze mid-save
    python files_worker.py loop URL                 save 4 MiB versions of big.bin forever

Every version number is printed only after ``save_artifact`` returned, so a printed
number is an acknowledged save. ``pause`` freezes the second save at STAGE (``payload``:
half the payload written to the temporary file; ``sidecar``: version number claimed,
sidecar not yet published), prints ``paused`` and waits to be killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from runners_core import Part
from runners_core.services import artifact_service_from_url

AT = {"app_name": "app", "user_id": "u", "session_id": "s"}
MIB = 1024 * 1024


def wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(0.005)


def freeze() -> None:
    print("paused", flush=True)
    while True:
        time.sleep(60)


async def save(url: str, barrier: str, count: int, tag: str) -> None:
    service = artifact_service_from_url(url)
    await asyncio.to_thread(wait_for, Path(barrier))
    for i in range(count):
        version = await service.save_artifact(
            **AT, filename="log.txt", artifact=Part(text=f"{tag}-{i}")
        )
        print(version, flush=True)


async def pause(url: str, stage: str) -> None:
    service = artifact_service_from_url(url)
    payload = Part.from_bytes(b"a" * 3 * MIB, "application/octet-stream")
    print(await service.save_artifact(**AT, filename="doc.bin", artifact=payload), flush=True)
    if stage == "payload":
        real_write = os.write

        def write(fd: int, data: bytes) -> int:
            written = real_write(fd, data)
            if len(data) >= MIB:
                freeze()
            return written

        os.write = write  # type: ignore[assignment]
    else:

        def rename(*args: object, **kwargs: object) -> None:
            freeze()

        os.rename = rename  # type: ignore[assignment]
    await service.save_artifact(
        **AT, filename="doc.bin", artifact=Part.from_bytes(b"b" * 3 * MIB, "a/b")
    )


async def loop(url: str) -> None:
    service = artifact_service_from_url(url)
    i = 0
    while True:
        data = bytes([i % 256]) * (4 * MIB)
        part = Part.from_bytes(data, "application/octet-stream")
        print(await service.save_artifact(**AT, filename="big.bin", artifact=part), flush=True)
        i += 1


if __name__ == "__main__":
    mode, url, *rest = sys.argv[1:]
    if mode == "save":
        asyncio.run(save(url, rest[0], int(rest[1]), rest[2]))
    elif mode == "pause":
        asyncio.run(pause(url, rest[0]))
    else:
        asyncio.run(loop(url))
