"""Child process of test_s3_processes.py.

    python s3_worker.py save URL BARRIER N TAG   print ready, wait for BARRIER, save N times
    python s3_worker.py pause URL                save big.bin once, then freeze mid-upload

Every version number is printed only after ``save_artifact`` returned. ``pause`` makes
the second save (12 MiB, uploaded in 5 MiB parts) freeze after its first part was
sent: the version number is claimed, the payload incomplete, the sidecar not written.
"""

from __future__ import annotations

import asyncio
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


async def save(url: str, barrier: str, count: int, tag: str) -> None:
    service = artifact_service_from_url(url)
    await service.list_artifact_keys(**AT)  # connect before the start
    print("ready", flush=True)
    await asyncio.to_thread(wait_for, Path(barrier))
    for i in range(count):
        version = await service.save_artifact(
            **AT, filename="log.txt", artifact=Part(text=f"{tag}-{i}")
        )
        print(version, flush=True)
    await service.close()


async def pause(url: str) -> None:
    service = artifact_service_from_url(url, multipart_threshold=5 * MIB, part_size=5 * MIB)
    small = Part.from_bytes(b"a" * MIB, "application/octet-stream")
    print(await service.save_artifact(**AT, filename="big.bin", artifact=small), flush=True)
    async with service._clients.client("pausing an upload") as client:  # type: ignore[attr-defined]
        pass
    real_upload_part = client.upload_part
    sent = 0

    async def upload_part(**kwargs: object) -> object:
        nonlocal sent
        if sent == 1:
            print("paused", flush=True)
            await asyncio.sleep(3600)
        sent += 1
        return await real_upload_part(**kwargs)

    client.upload_part = upload_part
    big = Part.from_bytes(b"b" * 12 * MIB, "application/octet-stream")
    await service.save_artifact(**AT, filename="big.bin", artifact=big)


if __name__ == "__main__":
    mode, url, *rest = sys.argv[1:]
    if mode == "save":
        asyncio.run(save(url, rest[0], int(rest[1]), rest[2]))
    else:
        asyncio.run(pause(url))
