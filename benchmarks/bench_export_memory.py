"""Peak memory of ``runners export`` (issue 17: the export streams in constant memory).

    .venv/bin/python benchmarks/bench_export_memory.py [--events 100000] [--artifact-mib 50]

Seeds apps in SQLite files (sessions of 1,000 events, each event with a state delta,
the sessions' events also in the memory service, and one large artifact), then runs the
real ``runners export -o FILE`` command on each in a child process and reads its peak
resident set size (``ru_maxrss`` from ``wait4``, through a small launcher process: see
``_LAUNCHER``). Apps:

* ``tiny``: 1,000 events, no large artifact (the interpreter, the plugins and the CLI);
* ``tenth``: a tenth of ``--events``, no large artifact;
* ``full``: ``--events``, no large artifact (ten times the events of ``tenth``);
* ``full+artifact``: ``--events`` and one ``--artifact-mib`` artifact.

Constant memory means ``full`` peaks where ``tenth`` does, and the artifact adds
about what one version costs while its line is written (its bytes, base64 text and the
JSON line), not more. Prints peak RSS (MiB), the command's wall time (interpreter start
included), events/s and the file size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runners_core import Content, Event, EventActions, Part
from runners_core.services import service_from_url

APP = "bench"
PER_SESSION = 1000
RUNNERS = str(Path(sys.executable).with_name("runners"))


def urls(folder: Path) -> dict[str, str]:
    kinds = ("session", "memory", "artifact")
    return {kind: f"sqlite:///{folder / f'{kind}.db'}" for kind in kinds}


async def seed(folder: Path, events: int, artifact_mib: int) -> None:
    services = {kind: service_from_url(kind, url) for kind, url in urls(folder).items()}
    try:
        for n in range(max(1, events // PER_SESSION)):
            session = await services["session"].create_session(
                app_name=APP, user_id=f"user{n % 4}", session_id=f"s{n}"
            )
            batch = [
                Event(
                    author="agent",
                    invocation_id=f"inv-{i // 10}",
                    content=Content.from_text(f"session {n} event {i}", role="model"),
                    actions=EventActions(state_delta={"i": i}),
                )
                for i in range(min(PER_SESSION, events))
            ]
            await services["session"].import_events(
                app_name=APP, user_id=session.user_id, session_id=session.id, events=batch
            )
            session.events = batch
            await services["memory"].add_session_to_memory(session)
        if artifact_mib:
            await services["artifact"].save_artifact(
                app_name=APP,
                user_id="user0",
                session_id="s0",
                filename="big.bin",
                artifact=Part.from_bytes(os.urandom(artifact_mib * 1024 * 1024), "x/bin"),
            )
    finally:
        for service in services.values():
            await service.close()


# Linux carries a process's peak RSS over exec (it is the old address space's peak too),
# and a child forked from this process starts with this process's memory: measured
# directly, ``runners export`` would report this benchmark's own peak (it just made a 50 MiB
# artifact). A small launcher forks and execs the command and reports its child's peak.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def export(folder: Path) -> dict[str, float]:
    out = folder / "app.jsonl"
    found = urls(folder)
    command = [
        RUNNERS,
        "export",
        "--app",
        APP,
        "-o",
        str(out),
        "--session-service",
        found["session"],
        "--memory-service",
        found["memory"],
        "--artifact-service",
        found["artifact"],
    ]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command], cwd=folder, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    code, maxrss = (int(n) for n in done.stdout.split())
    if code != 0:
        raise SystemExit(f"runners export failed in {folder}: {done.stderr[-2000:]}")
    return {
        "peak_rss_mib": round(maxrss / 1024, 1),  # KiB on Linux
        "export_s": round(elapsed, 2),
        "file_mib": round(out.stat().st_size / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--artifact-mib", type=int, default=50)
    args = parser.parse_args()
    apps = {
        "tiny": (1000, 0),
        "tenth": (args.events // 10, 0),
        "full": (args.events, 0),
        "full+artifact": (args.events, args.artifact_mib),
    }
    report: dict[str, object] = {"events": args.events, "artifact_mib": args.artifact_mib}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (events, mib) in apps.items():
            folder = Path(tmp) / name.replace("+", "-")
            folder.mkdir()
            asyncio.run(seed(folder, events, mib))
            result = export(folder)
            result["events"] = events
            result["events_per_s"] = round(events / result["export_s"])
            report[name] = result
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
