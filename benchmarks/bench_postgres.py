"""PostgreSQL backend benchmark (issue 7): runners-postgres against Google ADK 2.13.

    .venv/bin/python benchmarks/bench_postgres.py [--url postgresql://postgres@127.0.0.1:5432/test]
        [--events 1000] [--processes 1,8] [--history 1000] [--repeat 3] [--no-adk] [--json]

Append throughput: 1 and 8 writer processes, each appending --events small events
(text plus a one-key state delta, as an agent step writes) one at a time:

* separate: each process appends to its own session;
* shared: all processes append to one session (ours only: ADK's DatabaseSessionService
  rejects a second writer of a session with StaleSessionError).

get_session latency: 1 and 8 reader processes load a --history-event session with
num_recent_events=10 (what a runner loads per turn with a history limit) and whole.

Each side runs --repeat times, alternating with the other, and the best figure of
each is reported (the machine may be busy with other work).

The ADK side (``DatabaseSessionService`` over ``postgresql+asyncpg://``) runs the same
workload in the same run, on the same server, with ``$RUNNERS_ADK_PYTHON or .venv-adk/bin/python``
(override with --adk-python) executing this file with ``--adk-side``; it needs
``sqlalchemy[asyncio]`` and ``asyncpg`` in that virtualenv. Each side works in a
fresh schema of its own, dropped afterwards.

This file imports only the standard library at the top, so that the ADK
virtualenv (which has no runners-core) can run it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import secrets
import statistics
import subprocess
import sys
import time
from typing import Any

from _adk import default_adk_python

APP, USER = "bench", "bench-user"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
ADK_PYTHON = default_adk_python()
RECENT_CALLS = 200
FULL_CALLS = 5


# ---------------------------------------------------------------------------- the two sides


class Ours:
    """runners-postgres: PostgresSessionService on a schema of its own."""

    def __init__(self, url: str, schema: str) -> None:
        self.url = f"{url}?schema={schema}"

    def service(self) -> Any:
        from runners_postgres import PostgresSessionService

        return PostgresSessionService(self.url)

    def event(self, worker: int, i: int) -> Any:
        from runners_core import Content, Event, EventActions

        return Event(
            author="agent",
            invocation_id=f"inv-{worker}-{i // 10}",
            content=Content.from_text(f"step {i} of writer {worker}", role="model"),
            actions=EventActions(state_delta={f"w{worker}": i}),
        )

    def recent(self) -> Any:
        from runners_core import GetSessionConfig

        return GetSessionConfig(num_recent_events=10)


class Adk:
    """Google ADK 2.13: DatabaseSessionService over asyncpg, search_path on its schema."""

    def __init__(self, url: str, schema: str) -> None:
        self.url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
        self.schema = schema

    def service(self) -> Any:
        from google.adk.sessions import DatabaseSessionService

        return DatabaseSessionService(
            self.url, connect_args={"server_settings": {"search_path": self.schema}}
        )

    def event(self, worker: int, i: int) -> Any:
        from google.adk.events import Event, EventActions
        from google.genai import types

        return Event(
            author="agent",
            invocation_id=f"inv-{worker}-{i // 10}",
            content=types.Content(role="model", parts=[types.Part(text=f"step {i} of {worker}")]),
            actions=EventActions(state_delta={f"w{worker}": i}),
        )

    def recent(self) -> Any:
        from google.adk.sessions.base_session_service import GetSessionConfig

        return GetSessionConfig(num_recent_events=10)


def _side(name: str, url: str, schema: str) -> Ours | Adk:
    return Ours(url, schema) if name == "ours" else Adk(url, schema)


async def _close(service: Any) -> None:
    close = getattr(service, "close", None)
    if close is not None:
        await close()


# ---------------------------------------------------------------------------- workers


async def _append(side: Ours | Adk, session_id: str, worker: int, count: int, barrier: Any):
    service = side.service()
    try:
        session = await service.get_session(app_name=APP, user_id=USER, session_id=session_id)
        await asyncio.to_thread(barrier.wait)
        start = time.time()
        for i in range(count):
            await service.append_event(session, side.event(worker, i))
        return {"start": start, "end": time.time()}
    finally:
        await _close(service)


async def _read(side: Ours | Adk, session_id: str, barrier: Any) -> dict[str, Any]:
    service = side.service()
    key = {"app_name": APP, "user_id": USER, "session_id": session_id}
    try:
        await service.get_session(**key)  # warm the pool
        await asyncio.to_thread(barrier.wait)
        recent = []
        for _ in range(RECENT_CALLS):
            t = time.perf_counter()
            await service.get_session(**key, config=side.recent())
            recent.append(time.perf_counter() - t)
        full = []
        for _ in range(FULL_CALLS):
            t = time.perf_counter()
            loaded = await service.get_session(**key)
            full.append(time.perf_counter() - t)
        return {"recent": recent, "full": full, "events": len(loaded.events)}
    finally:
        await _close(service)


def _process(
    kind: str, side: str, url: str, schema: str, job: dict[str, Any], barrier: Any, out: Any
):
    target = _side(side, url, schema)
    if kind == "append":
        result = asyncio.run(_append(target, barrier=barrier, **job))
    else:
        result = asyncio.run(_read(target, barrier=barrier, **job))
    out.put(result)


def _spawn(kind: str, side: str, url: str, schema: str, jobs: list[dict[str, Any]]) -> list[Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(len(jobs)), ctx.Queue()
    procs = [
        ctx.Process(target=_process, args=(kind, side, url, schema, job, barrier, out))
        for job in jobs
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=900) for _ in procs]
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise RuntimeError(f"a {side} {kind} worker failed (exit {proc.exitcode})")
    return results


async def _create_sessions(side: Ours | Adk, ids: list[str]) -> None:
    service = side.service()
    try:
        for session_id in ids:
            await service.create_session(app_name=APP, user_id=USER, session_id=session_id)
    finally:
        await _close(service)


def run_side(name: str, url: str, schema: str, args: argparse.Namespace) -> dict[str, Any]:
    """The whole workload for one side; a JSON-able report."""
    side = _side(name, url, schema)
    modes = ("separate", "shared") if name == "ours" else ("separate",)
    report: dict[str, Any] = {"append": {}, "get_session": {}}
    history_session = None
    for processes in args.processes:
        for mode in modes:
            tag = secrets.token_hex(3)
            ids = [f"{mode}-{processes}-{n}-{tag}" for n in range(processes)]
            if mode == "shared":
                ids = ids[:1] * processes
            asyncio.run(_create_sessions(side, sorted(set(ids))))
            jobs = [
                {"session_id": sid, "worker": n, "count": args.events} for n, sid in enumerate(ids)
            ]
            spans = _spawn("append", name, url, schema, jobs)
            seconds = max(s["end"] for s in spans) - min(s["start"] for s in spans)
            total = args.events * processes
            report["append"][f"{processes}p-{mode}"] = {
                "events": total,
                "seconds": round(seconds, 3),
                "events_per_second": round(total / seconds, 1),
            }
    # A session with --history events for the readers.
    history_session = f"history-{secrets.token_hex(3)}"
    asyncio.run(_create_sessions(side, [history_session]))
    _spawn(
        "append",
        name,
        url,
        schema,
        [{"session_id": history_session, "worker": 0, "count": args.history}],
    )
    for processes in args.processes:
        results = _spawn("read", name, url, schema, [{"session_id": history_session}] * processes)
        recent = sorted(x for r in results for x in r["recent"])
        full = sorted(x for r in results for x in r["full"])
        report["get_session"][f"{processes}p"] = {
            "recent10_p50_ms": round(statistics.median(recent) * 1000, 3),
            "recent10_p95_ms": round(recent[int(len(recent) * 0.95)] * 1000, 3),
            f"full{results[0]['events']}_p50_ms": round(statistics.median(full) * 1000, 2),
        }
    return report


# ---------------------------------------------------------------------------- driver


def _admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def _run_adk(args: argparse.Namespace, schema: str) -> dict[str, Any]:
    config = {
        "url": args.url,
        "schema": schema,
        "events": args.events,
        "history": args.history,
        "processes": args.processes,
    }
    proc = subprocess.run(
        [args.adk_python, __file__, "--adk-side", json.dumps(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the ADK side failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per figure, the best of the repeats: highest throughput, lowest latency."""
    best: dict[str, Any] = {"append": {}, "get_session": {}, "repeats": len(runs)}
    for run in runs:
        for key, row in run["append"].items():
            if row["events_per_second"] > best["append"].get(key, {}).get("events_per_second", 0):
                best["append"][key] = row
        for key, row in run["get_session"].items():
            merged = best["get_session"].setdefault(key, {})
            for metric, value in row.items():
                merged[metric] = min(value, merged.get(metric, value))
    return best


def _print(ours: dict[str, Any], adk: dict[str, Any] | None) -> None:
    print(
        f"append throughput (events/s, each writer one append at a time; best of {ours['repeats']})"
    )
    print(f"  {'writers':<14}{'runners-postgres':>18}{'ADK 2.13':>12}{'ratio':>8}")
    for key, row in ours["append"].items():
        theirs = (adk or {}).get("append", {}).get(key)
        other = f"{theirs['events_per_second']:>12.0f}" if theirs else f"{'-':>12}"
        ratio = (
            f"{row['events_per_second'] / theirs['events_per_second']:>7.1f}x"
            if theirs
            else f"{'':>8}"
        )
        print(f"  {key:<14}{row['events_per_second']:>18.0f}{other}{ratio}")
    print("get_session latency (ms)")
    for key, row in ours["get_session"].items():
        theirs = (adk or {}).get("get_session", {}).get(key, {})
        for metric, value in row.items():
            other = theirs.get(metric)
            shown = f"{other:>12.2f}" if other is not None else f"{'-':>12}"
            print(f"  {key + ' ' + metric:<30}{value:>10.2f}{shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="server URL (no ?schema=)")
    parser.add_argument("--events", type=int, default=1000, help="appends per writer process")
    parser.add_argument("--history", type=int, default=1000, help="events in the read session")
    parser.add_argument("--processes", default="1,8", type=lambda s: [int(p) for p in s.split(",")])
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; best is kept")
    parser.add_argument("--no-adk", action="store_true", help="skip the ADK comparison")
    parser.add_argument("--adk-python", default=ADK_PYTHON)
    parser.add_argument("--json", action="store_true", help="print the raw report as JSON")
    parser.add_argument("--adk-side", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.adk_side:  # running inside the ADK virtualenv
        config = json.loads(args.adk_side)
        ns = argparse.Namespace(**config)
        print(json.dumps(run_side("adk", config["url"], config["schema"], ns)))
        return

    tag = secrets.token_hex(4)
    ours_schema, adk_schema = f"bench_rp_{tag}", f"bench_adk_{tag}"
    _admin(args.url, f"CREATE SCHEMA {adk_schema}")
    ours_runs: list[dict[str, Any]] = []
    adk_runs: list[dict[str, Any]] = []
    try:
        # Interleaved, so that load from elsewhere on the machine hits both sides alike.
        for _ in range(args.repeat):
            ours_runs.append(run_side("ours", args.url, ours_schema, args))
            if not args.no_adk:
                adk_runs.append(_run_adk(args, adk_schema))
        ours, adk = _best(ours_runs), _best(adk_runs) if adk_runs else None
    finally:
        _admin(args.url, f"DROP SCHEMA IF EXISTS {ours_schema} CASCADE")
        _admin(args.url, f"DROP SCHEMA IF EXISTS {adk_schema} CASCADE")
    if args.json:
        print(json.dumps({"runners_postgres": ours, "adk": adk}, indent=2))
    else:
        _print(ours, adk)


if __name__ == "__main__":
    sys.exit(main())
