"""Artifact save/load throughput on every artifact backend, with ADK 2.13's FileArtifactService.

    .venv/bin/python benchmarks/bench_artifacts.py [--sizes 1KiB,1MiB,50MiB] [--budget 3]
        [--repeat 2] [--postgres postgresql://postgres@127.0.0.1:5432/test]
        [--adk-python $RUNNERS_ADK_PYTHON or .venv-adk/bin/python] [--json]

For each backend and each size: saves of one name (each save a new version), then
loads of those versions, one at a time through the public async API. A size runs for
about --budget seconds per operation (at least 2 and at most 200 operations) and
reports operations/s and MiB/s (the payload's bytes, not the wire's).

Backends, all in the same run on the same machine:

* ``file://``      runners-files, in a temporary directory: with the default
  ``synchronous=full`` (payload, sidecar and directory fsynced per save) and with
  ``synchronous=normal`` (no fsync, as ADK's FileArtifactService);
* ``s3://``        runners-s3 against a local ``moto_server`` started here (loopback);
* ``sqlite://``    runners-sqlite, a temporary database file;
* ``postgresql://`` runners-postgres on --postgres, in a fresh schema dropped afterwards
  (skipped with a message when the server is unreachable);
* ADK 2.13 ``FileArtifactService``, in the ADK virtualenv's Python (this same file with
  ``--adk-side``), in a temporary directory; skipped with a message without that
  virtualenv.

This file imports only the standard library at the top, so that the ADK virtualenv
(which has no runners-core) can run it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _adk import default_adk_python

KEY = {"app_name": "bench", "user_id": "u", "session_id": "s"}
DEFAULT_SIZES = "1KiB,1MiB,50MiB"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
ADK_PYTHON = default_adk_python()
MIB = 1024 * 1024
MIN_OPS, MAX_OPS = 2, 200


def parse_size(text: str) -> int:
    units = {"kib": 1024, "mib": MIB, "gib": 1024 * MIB, "b": 1}
    lowered = text.strip().lower()
    for unit, factor in units.items():
        if lowered.endswith(unit):
            return int(float(lowered[: -len(unit)]) * factor)
    return int(lowered)


def label(size: int) -> str:
    return f"{size // MIB} MiB" if size >= MIB else f"{size // 1024} KiB"


async def timed(budget: float, call: Callable[[int], Awaitable[Any]]) -> tuple[int, float]:
    """Run call(0), call(1), ... for about *budget* seconds; (operations, seconds)."""
    start = time.perf_counter()
    done = 0
    while done < MAX_OPS:
        await call(done)
        done += 1
        if done >= MIN_OPS and time.perf_counter() - start >= budget:
            break
    return done, time.perf_counter() - start


async def measure(service: Any, part: Any, size: int, budget: float, name: str) -> dict[str, Any]:
    async def save(i: int) -> None:
        await service.save_artifact(**KEY, filename=name, artifact=part)

    saves, save_s = await timed(budget, save)

    async def load(i: int) -> None:
        loaded = await service.load_artifact(**KEY, filename=name, version=i % saves)
        assert loaded is not None

    loads, load_s = await timed(budget, load)
    return {
        "size": size,
        "saves": saves,
        "save_ops_per_s": saves / save_s,
        "save_mib_per_s": saves * size / MIB / save_s,
        "loads": loads,
        "load_ops_per_s": loads / load_s,
        "load_mib_per_s": loads * size / MIB / load_s,
    }


async def run_backend(
    name: str, build: Callable[[], Any], make_part: Callable[[bytes], Any], sizes: list[int],
    budget: float,
) -> dict[str, Any]:  # fmt: skip
    service = build()
    results = []
    try:
        # Connections, clients, schemas and directories are made by the first call: not timed.
        await service.save_artifact(**KEY, filename="warm-up", artifact=make_part(b"x"))
        await service.load_artifact(**KEY, filename="warm-up")
        for size in sizes:
            payload = secrets.token_bytes(size)
            results.append(
                await measure(service, make_part(payload), size, budget, f"blob-{size}.bin")
            )
    finally:
        close = getattr(service, "close", None)
        if close is not None:
            await close()
    return {"name": name, "results": results}


# ---------------------------------------------------------------------- our backends


def our_part(payload: bytes) -> Any:
    from runners_core import Part

    return Part.from_bytes(payload, "application/octet-stream")


async def ours(sizes: list[int], budget: float, postgres: str, workdir: Path) -> list[dict]:
    from runners_files import FileArtifactService
    from runners_s3 import S3ArtifactService
    from runners_s3.testing import MotoServer, MotoUnavailable
    from runners_sqlite import SqliteArtifactService

    limit = {"max_artifact_bytes": max(sizes)}
    rows = [
        await run_backend(
            "runners-files (file://)",
            lambda: FileArtifactService(f"file://{workdir}/files", **limit),
            our_part,
            sizes,
            budget,
        ),
        await run_backend(
            "runners-files, synchronous=normal",
            lambda: FileArtifactService(
                f"file://{workdir}/files-normal?synchronous=normal", **limit
            ),
            our_part,
            sizes,
            budget,
        ),
        await run_backend(
            "runners-sqlite (sqlite://)",
            lambda: SqliteArtifactService(f"sqlite:///{workdir}/artifacts.db", **limit),
            our_part,
            sizes,
            budget,
        ),
    ]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    try:
        with MotoServer.start() as server:
            url = f"s3://bench-{secrets.token_hex(4)}/a?endpoint_url={server.endpoint}"
            rows.append(
                await run_backend(
                    "runners-s3 (s3://, local moto_server)",
                    lambda: S3ArtifactService(url + "&create_bucket=true", **limit),
                    our_part,
                    sizes,
                    budget,
                )
            )
    except MotoUnavailable as exc:
        print(f"(s3:// skipped: {exc})")
    rows.extend(await postgres_rows(sizes, budget, postgres, limit))
    return rows


async def postgres_rows(
    sizes: list[int], budget: float, url: str, limit: dict[str, int]
) -> list[dict]:
    import psycopg
    from runners_postgres import PostgresArtifactService

    schema = f"bench_art_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        print(f"(postgresql:// skipped: {url} unreachable: {exc})")
        return []
    try:
        return [
            await run_backend(
                "runners-postgres (postgresql://)",
                lambda: PostgresArtifactService(url, schema=schema, **limit),
                our_part,
                sizes,
                budget,
            )
        ]
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# ---------------------------------------------------------------------- Google ADK 2.13


def adk_part(payload: bytes) -> Any:
    from google.genai import types

    return types.Part.from_bytes(data=payload, mime_type="application/octet-stream")


async def adk(sizes: list[int], budget: float, workdir: Path) -> dict[str, Any]:
    from google.adk.artifacts import FileArtifactService

    return await run_backend(
        "google-adk 2.13 FileArtifactService",
        lambda: FileArtifactService(root_dir=workdir / "adk"),
        adk_part,
        sizes,
        budget,
    )


def run_adk_side(python: str, sizes: str, budget: float) -> dict[str, Any] | None:
    if not Path(python).exists():
        print(f"(ADK side skipped: {python} not found; bash scripts/setup_adk.sh makes it)")
        return None
    done = subprocess.run(
        [python, __file__, "--adk-side", "--sizes", sizes, "--budget", str(budget)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the ADK side failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- report


def best(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """*new*'s rows, each figure the better of *old*'s and *new*'s."""
    previous = {row["name"]: row for row in old}
    for row in new:
        before = previous.get(row["name"])
        if before is None:
            continue
        for mine, theirs in zip(row["results"], before["results"], strict=True):
            for key in ("save_ops_per_s", "save_mib_per_s", "load_ops_per_s", "load_mib_per_s"):
                mine[key] = max(mine[key], theirs[key])
    return new


def report(rows: list[dict[str, Any]]) -> None:
    print(f"\n{'backend':<40}{'size':>8}{'save/s':>10}{'MiB/s':>9}{'load/s':>10}{'MiB/s':>9}")
    for row in rows:
        for r in row["results"]:
            print(
                f"{row['name']:<40}{label(r['size']):>8}"
                f"{r['save_ops_per_s']:>10.1f}{r['save_mib_per_s']:>9.1f}"
                f"{r['load_ops_per_s']:>10.1f}{r['load_mib_per_s']:>9.1f}"
            )
    adk_row = next((row for row in rows if row["name"].startswith("google-adk")), None)
    if adk_row is None:
        return
    print("\nagainst ADK's FileArtifactService (save x, load x; above 1 is faster)")
    reference = {r["size"]: r for r in adk_row["results"]}
    for row in rows:
        if row is adk_row:
            continue
        ratios = []
        for r in row["results"]:
            theirs = reference.get(r["size"])
            if theirs:
                ratios.append(
                    f"{label(r['size'])}: {r['save_ops_per_s'] / theirs['save_ops_per_s']:.2f}x, "
                    f"{r['load_ops_per_s'] / theirs['load_ops_per_s']:.2f}x"
                )
        print(f"  {row['name']:<38}{'; '.join(ratios)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES)
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per operation kind")
    parser.add_argument("--repeat", type=int, default=2, help="rounds; best figures win")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--adk-python", default=ADK_PYTHON)
    parser.add_argument("--adk-side", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    if args.adk_side:
        with tempfile.TemporaryDirectory(prefix="bench-artifacts-adk-") as workdir:
            print(json.dumps(asyncio.run(adk(sizes, args.budget, Path(workdir)))))
        return
    # Our side and ADK's alternate, --repeat times; each keeps its best figures (the
    # machine may be busy with other work).
    rows: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-artifacts-") as workdir:
            mine = asyncio.run(ours(sizes, args.budget, args.postgres, Path(workdir)))
        theirs = run_adk_side(args.adk_python, args.sizes, args.budget)
        rows = best(rows, [*mine, *([theirs] if theirs else [])])
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        report(rows)


if __name__ == "__main__":
    main()
