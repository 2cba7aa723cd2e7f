"""Redis backend benchmarks (issue 7): append throughput and get_session latency.

    .venv/bin/python benchmarks/bench_redis.py [--url redis://127.0.0.1:6379/0]
        [--events 10000] [--processes 1,8] [--repeat 3] [--json]

For 1 and 8 concurrent writer processes, appends --events small events (text plus a
one-key state delta, as an agent step writes) through RedisSessionService.append_event,
each process one append at a time:

* shared: all processes append to one session (contention on one session's keys);
* separate: each process appends to its own session.

Then, on the --events-long session, 1 and 8 reader processes call get_session with
num_recent_events=10 (what a runner loads per turn with a history limit) and without
a limit (the whole history). Everything uses a fresh key prefix, deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import secrets
import statistics
import time
from typing import Any

import redis
from runners_redis.keys import KeySpace
from runners_redis.sessions import RedisSessionService

from runners_core import Content, Event, EventActions, GetSessionConfig

APP, USER = "bench", "bench-user"
RECENT_CALLS = 300
FULL_CALLS = 10


def _event(worker: int, i: int) -> Event:
    return Event(
        author="agent",
        invocation_id=f"inv-{worker}-{i // 10}",
        content=Content.from_text(f"step {i} of writer {worker}", role="model"),
        actions=EventActions(state_delta={f"w{worker}": i}),
    )


def _append_worker(
    url: str, session_id: str, worker: int, count: int, barrier: Any, results: Any
) -> None:
    async def main() -> tuple[float, float]:
        service = RedisSessionService(url)
        session = await service.get_session(
            app_name=APP,
            user_id=USER,
            session_id=session_id,
            config=GetSessionConfig(num_recent_events=0),
        )
        assert session is not None
        events = [_event(worker, i) for i in range(count)]
        await service.append_event(session, _event(worker, -1))  # connect, load scripts
        barrier.wait()
        start = time.perf_counter()
        for event in events:
            await service.append_event(session, event)
        end = time.perf_counter()
        await service.close()
        return start, end

    results.put(asyncio.run(main()))


def _read_worker(url: str, session_id: str, barrier: Any, results: Any) -> None:
    async def main() -> dict[str, list[float]]:
        service = RedisSessionService(url)
        timings: dict[str, list[float]] = {"recent": [], "full": []}
        recent = GetSessionConfig(num_recent_events=10)
        await service.get_session(app_name=APP, user_id=USER, session_id=session_id)
        barrier.wait()
        for kind, calls, config in (
            ("recent", RECENT_CALLS, recent),
            ("full", FULL_CALLS, None),
        ):
            for _ in range(calls):
                start = time.perf_counter()
                await service.get_session(
                    app_name=APP, user_id=USER, session_id=session_id, config=config
                )
                timings[kind].append(time.perf_counter() - start)
        await service.close()
        return timings

    results.put(asyncio.run(main()))


def _run(target: Any, args_per_process: list[tuple[Any, ...]]) -> list[Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(args_per_process))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(*args, barrier, results)) for args in args_per_process
    ]
    for proc in procs:
        proc.start()
    out = [results.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise SystemExit(f"a benchmark process failed (exit {proc.exitcode})")
    return out


async def _create(url: str, session_ids: list[str]) -> None:
    service = RedisSessionService(url)
    for session_id in session_ids:
        await service.create_session(app_name=APP, user_id=USER, session_id=session_id)
    await service.close()


def bench_appends(base: str, events: int, processes: int, layout: str) -> dict[str, Any]:
    prefix = f"bench-{secrets.token_hex(4)}"
    url = f"{base}{'&' if '?' in base else '?'}prefix={prefix}"
    sessions = ["shared"] if layout == "shared" else [f"own-{n}" for n in range(processes)]
    asyncio.run(_create(url, sessions))
    per = events // processes
    spans = _run(
        _append_worker,
        [(url, sessions[n % len(sessions)], n, per) for n in range(processes)],
    )
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    total = per * processes
    return {
        "layout": layout,
        "processes": processes,
        "events": total,
        "seconds": elapsed,
        "events_per_s": total / elapsed,
        "prefix": prefix,
        "url": url,
    }


def bench_reads(url: str, processes: int) -> dict[str, Any]:
    timings = _run(_read_worker, [(url, "shared") for _ in range(processes)])
    report: dict[str, Any] = {"processes": processes}
    for kind in ("recent", "full"):
        values = sorted(t for per in timings for t in per[kind])
        report[kind] = {
            "calls": len(values),
            "median_ms": statistics.median(values) * 1000,
            "p95_ms": values[int(len(values) * 0.95) - 1] * 1000,
        }
    return report


def _cleanup(base: str, prefixes: list[str]) -> None:
    client = redis.Redis.from_url(base.split("?")[0])
    for prefix in prefixes:
        keys = list(client.scan_iter(match=KeySpace(prefix).pattern(), count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--processes", default="1,8")
    parser.add_argument("--repeat", type=int, default=3, help="append runs per setting")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    counts = [int(p) for p in args.processes.split(",")]

    server = redis.Redis.from_url(args.url).info("server")["redis_version"]
    results: dict[str, Any] = {"redis": server, "appends": [], "get_session": []}
    prefixes = []
    try:
        read_url = None
        for layout in ("shared", "separate"):
            for processes in counts:
                runs = []
                for _ in range(args.repeat):
                    run = bench_appends(args.url, args.events, processes, layout)
                    prefixes.append(run.pop("prefix"))
                    url = run.pop("url")
                    if layout == "shared" and processes == counts[0]:
                        read_url = url
                    runs.append(run)
                # The median run: the machine is shared, single runs are noisy.
                row = sorted(runs, key=lambda r: r["events_per_s"])[len(runs) // 2]
                row["runs_events_per_s"] = [round(r["events_per_s"]) for r in runs]
                results["appends"].append(row)
        assert read_url is not None
        for processes in counts:
            results["get_session"].append(bench_reads(read_url, processes))
    finally:
        _cleanup(args.url, prefixes)

    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"Redis {server}; {args.events} events per append run\n")
    print(f"{'append':<10}{'processes':>10}{'events':>9}{'seconds':>9}{'events/s':>11}  all runs")
    for row in results["appends"]:
        print(
            f"{row['layout']:<10}{row['processes']:>10}{row['events']:>9}"
            f"{row['seconds']:>9.2f}{row['events_per_s']:>11,.0f}  {row['runs_events_per_s']}"
        )
    print(f"\nget_session on a {args.events}-event session (per call)")
    print(f"{'processes':>9}{'recent=10 median':>18}{'p95':>9}{'full median':>13}{'p95':>9}")
    for row in results["get_session"]:
        recent, full = row["recent"], row["full"]
        print(
            f"{row['processes']:>9}{recent['median_ms']:>16.2f}ms{recent['p95_ms']:>7.2f}ms"
            f"{full['median_ms']:>11.1f}ms{full['p95_ms']:>7.1f}ms"
        )


if __name__ == "__main__":
    main()
