"""SQLite backend benchmarks (issue 5), with Google ADK 2.13's SqliteSessionService side by side.

    .venv/bin/python benchmarks/bench_sqlite.py [--events 10000] [--invocations 200]
        [--adk-python $RUNNERS_ADK_PYTHON or .venv-adk/bin/python] [--json]

Workloads, each on a fresh database file in a temporary directory:

* append: --events small events (text plus a one-key state delta, as an agent step
  writes) appended one at a time to one session; events/s. Ours runs twice: with the
  default ``synchronous=normal`` (durable across process crashes) and with
  ``synchronous=full`` (fsync per commit, also durable across power loss, which is
  what ADK's rollback-journal default does).
* get_session of that --events-event session: ours "cold" (a fresh service: every
  event decoded) and "warm" (the same service again: decoded events are cached);
  ADK has no cache, so each of its loads is cold.
* num_recent_events=10 on a 100-event and on the --events-event session: median of
  many calls (ours also with the event cache off).
* runner: an agent yielding 10 small events with a state delta per invocation, 200
  invocations on one session through Runner; events/s and mean ms per invocation by
  quarter (the runner loads the whole session every invocation).

The ADK half runs in the ADK virtualenv's Python (this same file with --adk-side);
without that virtualenv it is skipped with a message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _adk import default_adk_python

HERE = Path(__file__).resolve().parent
DEFAULT_ADK_PYTHON = default_adk_python()
APP, USER = "bench", "u"
RECENT_CALLS = 200
FULL_LOADS = 5


async def best_of(times: int, call: Callable[[], Awaitable[Any]]) -> float:
    best = float("inf")
    for _ in range(times):
        start = time.perf_counter()
        await call()
        best = min(best, time.perf_counter() - start)
    return best


async def median_of(times: int, call: Callable[[], Awaitable[Any]]) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def quarters_ms(times: list[float], stat: Callable[[list[float]], float]) -> list[float]:
    size = len(times) // 4
    return [stat(times[i * size : (i + 1) * size]) * 1000 for i in range(4)]


async def time_appends(service: Any, session: Any, events: list[Any]) -> float:
    """Events per second appending *events* one at a time."""
    start = time.perf_counter()
    for event in events:
        await service.append_event(session, event)
    return len(events) / (time.perf_counter() - start)


async def fill(service: Any, make_event: Callable[[int], Any], events: int) -> float:
    """Sessions "big" (*events* events, timed: events/s) and "small" (100 events)."""
    session = await service.create_session(app_name=APP, user_id=USER, session_id="big")
    rate = await time_appends(service, session, [make_event(i) for i in range(events)])
    small = await service.create_session(app_name=APP, user_id=USER, session_id="small")
    for i in range(100):
        await service.append_event(small, make_event(i))
    return rate


async def recent_medians(service: Any, config: Any, suffix: str = "") -> dict[str, float]:
    """Median ms of get_session(num_recent_events=10) on the small and the big session."""
    out = {}
    for sid in ("small", "big"):
        seconds = await median_of(
            RECENT_CALLS,
            lambda sid=sid: service.get_session(
                app_name=APP, user_id=USER, session_id=sid, config=config
            ),
        )
        out[f"recent10_{sid}{suffix}_ms"] = seconds * 1000
    return out


async def time_runner(runner: Any, message: Any, invocations: int) -> dict[str, Any]:
    times = []
    for _ in range(invocations):
        start = time.perf_counter()
        async for _ in runner.run_async(user_id=USER, session_id="run", new_message=message):
            pass
        times.append(time.perf_counter() - start)
    return {
        "events_per_s": invocations * 10 / sum(times),
        "quarter_ms": quarters_ms(times, statistics.mean),
        "quarter_median_ms": quarters_ms(times, statistics.median),
    }


# ---------------------------------------------------------------------- runners-sqlite


def our_event(i: int) -> Any:
    from runners_core import Content, Event, EventActions

    return Event(
        author="agent",
        invocation_id=f"inv-{i // 10}",
        content=Content.from_text(f"step {i}", role="model"),
        actions=EventActions(state_delta={f"k{i % 10}": i}),
    )


async def ours(events: int, invocations: int, workdir: Path) -> dict[str, Any]:
    from runners_sqlite import SqliteSessionService

    from runners_core import Content, GetSessionConfig, Runner

    sys.path.insert(0, str(HERE))
    from bench_kernel import TenEvents

    out: dict[str, Any] = {"name": "runners-sqlite"}
    url = f"sqlite:///{workdir}/ours.db"
    key = {"app_name": APP, "user_id": USER}

    full = SqliteSessionService(f"sqlite:///{workdir}/ours-full.db?synchronous=full")
    session = await full.create_session(**key, session_id="full")
    out["append_full_per_s"] = await time_appends(
        full, session, [our_event(i) for i in range(min(events, 2000))]
    )
    await full.close()

    service = SqliteSessionService(url)
    out["append_per_s"] = await fill(service, our_event, events)
    await service.close()

    # Cold: a fresh service (as in a new process) decodes every event once.
    cold = float("inf")
    for _ in range(3):
        fresh = SqliteSessionService(url)
        await fresh.get_session(
            **key, session_id="big", config=GetSessionConfig(num_recent_events=0)
        )
        cold = min(cold, await best_of(1, lambda s=fresh: s.get_session(**key, session_id="big")))
        await fresh.close()
    out["get_full_cold_ms"] = cold * 1000

    service = SqliteSessionService(url)
    await service.get_session(**key, session_id="big")
    out["get_full_warm_ms"] = (
        await best_of(FULL_LOADS, lambda: service.get_session(**key, session_id="big")) * 1000
    )
    recent = GetSessionConfig(num_recent_events=10)
    out.update(await recent_medians(service, recent))
    await service.close()
    service = SqliteSessionService(url + "?event_cache_mb=0")
    out.update(await recent_medians(service, recent, "_nocache"))
    await service.close()

    for label, option in (("runner", ""), ("runner_nocache", "?event_cache_mb=0")):
        service = SqliteSessionService(f"sqlite:///{workdir}/{label}.db{option}")
        await service.create_session(**key, session_id="run")
        runner = Runner(app_name=APP, agent=TenEvents(name="ten"), session_service=service)
        out[label] = await time_runner(runner, Content.from_text("go"), invocations)
        await runner.close()
        await service.close()
    return out


# ---------------------------------------------------------------------- Google ADK 2.13


def adk_event(i: int) -> Any:
    from google.adk.events import Event, EventActions
    from google.genai import types

    return Event(
        author="agent",
        invocation_id=f"inv-{i // 10}",
        content=types.Content(role="model", parts=[types.Part(text=f"step {i}")]),
        actions=EventActions(state_delta={f"k{i % 10}": i}),
    )


async def adk(events: int, invocations: int, workdir: Path) -> dict[str, Any]:
    from google.adk.runners import Runner
    from google.adk.sessions.base_session_service import GetSessionConfig
    from google.adk.sessions.sqlite_session_service import SqliteSessionService
    from google.genai import types

    sys.path.insert(0, str(HERE))
    from _adk_kernel_workload import TenEvents

    out: dict[str, Any] = {"name": "google-adk 2.13 SqliteSessionService"}
    key = {"app_name": APP, "user_id": USER}
    service = SqliteSessionService(str(workdir / "adk.db"))
    out["append_per_s"] = await fill(service, adk_event, events)
    out["get_full_cold_ms"] = (
        await best_of(FULL_LOADS, lambda: service.get_session(**key, session_id="big")) * 1000
    )
    out.update(await recent_medians(service, GetSessionConfig(num_recent_events=10)))
    await service.close()

    service = SqliteSessionService(str(workdir / "adk-runner.db"))
    await service.create_session(**key, session_id="run")
    runner = Runner(app_name=APP, agent=TenEvents(name="ten"), session_service=service)
    message = types.Content(role="user", parts=[types.Part(text="go")])
    out["runner"] = await time_runner(runner, message, invocations)
    await runner.close()
    await service.close()
    return out


def run_adk_side(python: str, events: int, invocations: int) -> dict[str, Any] | None:
    if not Path(python).exists():
        print(f"(ADK side skipped: {python} not found; pip install google-adk==2.13.0 there)")
        return None
    done = subprocess.run(
        [
            python,
            __file__,
            "--adk-side",
            "--events",
            str(events),
            "--invocations",
            str(invocations),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the ADK side failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- report


def report(rows: list[dict[str, Any]], events: int, invocations: int) -> None:
    def line(label: str, field: str, fmt: str, row: dict[str, Any]) -> None:
        value = row.get(field)
        if value is not None:
            print(f"  {label:<44}{format(value, fmt):>12}")

    for row in rows:
        print(f"\n{row['name']}")
        line("append_event, events/s", "append_per_s", ".0f", row)
        line("append_event, synchronous=full, events/s", "append_full_per_s", ".0f", row)
        line(f"get_session {events} events, cold, ms", "get_full_cold_ms", ".1f", row)
        line(f"get_session {events} events, warm cache, ms", "get_full_warm_ms", ".1f", row)
        line("num_recent_events=10 at 100 events, ms", "recent10_small_ms", ".3f", row)
        line(f"num_recent_events=10 at {events} events, ms", "recent10_big_ms", ".3f", row)
        line("  same, event cache off, at 100, ms", "recent10_small_nocache_ms", ".3f", row)
        line(f"  same, event cache off, at {events}, ms", "recent10_big_nocache_ms", ".3f", row)
        for label, name in (("runner", "runner"), ("runner, event cache off", "runner_nocache")):
            run = row.get(name)
            if run:
                print(f"  {label} ({invocations} x 10 events): {run['events_per_s']:.0f} events/s")
                for stat in ("mean", "median"):
                    q = run["quarter_ms" if stat == "mean" else "quarter_median_ms"]
                    print(
                        f"    {stat} ms/invocation by quarter "
                        f"{', '.join(f'{x:.2f}' for x in q)} (last/first {q[3] / q[0]:.2f}x)"
                    )
    if len(rows) == 2:
        mine, theirs = rows
        print("\nrunners-sqlite vs ADK")
        print(f"  append rate          {mine['append_per_s'] / theirs['append_per_s']:.1f}x")
        print(f"  append rate (full)   {mine['append_full_per_s'] / theirs['append_per_s']:.1f}x")
        for kind in ("cold", "warm"):
            ratio = theirs["get_full_cold_ms"] / mine[f"get_full_{kind}_ms"]
            print(f"  get_session {kind:<8} {ratio:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--invocations", type=int, default=200)
    parser.add_argument("--adk-python", default=DEFAULT_ADK_PYTHON)
    parser.add_argument("--adk-side", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as workdir:
        if args.adk_side:
            print(json.dumps(asyncio.run(adk(args.events, args.invocations, Path(workdir)))))
            return
        rows = [asyncio.run(ours(args.events, args.invocations, Path(workdir)))]
    theirs = run_adk_side(args.adk_python, args.events, args.invocations)
    if theirs:
        rows.append(theirs)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        report(rows, args.events, args.invocations)


if __name__ == "__main__":
    main()
