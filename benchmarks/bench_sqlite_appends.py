"""SQLite append throughput (issue 13): one session, one event at a time.

    .venv/bin/python benchmarks/bench_sqlite_appends.py [--events 10000] [--turns 200]
        [--rounds 5] [--compare DIR] [--profile appends|runner]

Two workloads, each on a fresh database file in a temporary directory:

* appends: --events small events (text plus a one-key state delta, as an agent step
  writes) appended with ``append_event`` one at a time to one session;
* runner: --turns invocations through ``Runner`` on one session, each a user message
  and an agent yielding 10 small events with a state delta (11 stored events a turn).

Each round runs every side in a fresh process, alternating, and reports events per
second of wall time and of CPU time (user + system of the whole process, the
service's worker thread included; steadier than wall time on a busy machine);
figures are medians over rounds. ``--compare DIR`` adds a side importing
``runners_core`` and ``runners_sqlite`` from another source tree (e.g. a
``git worktree`` of an older commit), so before/after ratios come from one run.
Only the runners-sqlite plugin is enabled (``RUNNERS_CORE_PLUGINS=sqlite``), so other
installed plugins' hooks are not measured with the kernel. ``--profile`` runs one
workload in this process under cProfile instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
APP, USER = "bench", "u"
EVENTS_PER_TURN = 10


def _clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _rates(count: int, start: tuple[float, float]) -> dict[str, float]:
    wall, cpu = _clocks()
    return {"wall": count / (wall - start[0]), "cpu": count / (cpu - start[1])}


async def appends(workdir: Path, events: int) -> dict[str, float]:
    from runners_sqlite import SqliteSessionService

    from runners_core import Content, Event, EventActions

    service = SqliteSessionService(f"sqlite:///{workdir}/appends.db")
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    batch = [
        Event(
            author="agent",
            invocation_id=f"inv-{i // 10}",
            content=Content.from_text(f"step {i}", role="model"),
            actions=EventActions(state_delta={f"k{i % 10}": i}),
        )
        for i in range(events)
    ]
    await service.append_event(session, batch[0])  # first open, schema build: not timed
    start = _clocks()
    for event in batch[1:]:
        await service.append_event(session, event)
    rates = _rates(len(batch) - 1, start)
    await service.close()
    return rates


async def runner_turns(workdir: Path, turns: int) -> dict[str, float]:
    from runners_sqlite import SqliteSessionService

    from runners_core import BaseAgent, Content, EventActions, Runner

    class TenEvents(BaseAgent):
        async def _run_async_impl(self, ctx):
            for i in range(EVENTS_PER_TURN):
                yield ctx.event(f"event {i}", actions=EventActions(state_delta={f"k{i}": i}))

    service = SqliteSessionService(f"sqlite:///{workdir}/runner.db")
    await service.create_session(app_name=APP, user_id=USER, session_id="run")
    runner = Runner(app_name=APP, agent=TenEvents(name="ten"), session_service=service)
    message = Content.from_text("go")

    async def turn() -> None:
        async for _ in runner.run_async(user_id=USER, session_id="run", new_message=message):
            pass

    await turn()  # first open, schema builds: not timed
    start = _clocks()
    for _ in range(turns):
        await turn()
    rates = _rates(turns * (EVENTS_PER_TURN + 1), start)
    await runner.close()
    await service.close()
    return rates


async def measure(events: int, turns: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        return {
            "appends": await appends(Path(tmp), events),
            "runner": await runner_turns(Path(tmp), turns),
        }


def run_side(source: Path | None, events: int, turns: int) -> dict[str, dict[str, float]]:
    # The kernel and runners-sqlite only: other installed plugins' hooks (tracing,
    # redaction) would be measured with them.
    env = {**os.environ, "RUNNERS_CORE_PLUGINS": "sqlite"}
    if source is not None:
        paths = [str(source), str(source / "plugins" / "runners-sqlite")]
        env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--events", str(events), "--turns", str(turns)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=source or REPO,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another source tree to run side by side")
    parser.add_argument("--profile", choices=["appends", "runner"])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(args.events, args.turns))))
        return
    if args.profile:
        import cProfile
        import pstats

        with tempfile.TemporaryDirectory() as tmp:
            work = (
                appends(Path(tmp), args.events)
                if args.profile == "appends"
                else runner_turns(Path(tmp), args.turns)
            )
            profile = cProfile.Profile()
            print(profile.runcall(asyncio.run, work))
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        return

    sides: dict[str, Path | None] = {"this tree": None}
    if args.compare:
        sides[f"{args.compare}"] = args.compare.resolve()
    samples: dict[str, list[dict[str, dict[str, float]]]] = {side: [] for side in sides}
    for _ in range(args.rounds):
        for side, source in sides.items():
            samples[side].append(run_side(source, args.events, args.turns))
    print(
        f"SQLite, one session: {args.events} appends one at a time; runner {args.turns} turns "
        f"x (user message + {EVENTS_PER_TURN} events). Events/s, medians of {args.rounds} "
        "alternating rounds"
    )
    medians: dict[str, dict[str, float]] = {}
    for side, rounds in samples.items():
        medians[side] = {
            f"{workload} {clock}": statistics.median(r[workload][clock] for r in rounds)
            for workload in ("appends", "runner")
            for clock in ("wall", "cpu")
        }
        figures = ", ".join(f"{name} {value:,.0f}" for name, value in medians[side].items())
        print(f"  {side}: {figures}")
    if args.compare:
        this, other = medians["this tree"], medians[f"{args.compare}"]
        ratios = ", ".join(f"{name} {this[name] / other[name]:.2f}x" for name in this)
        print(f"  this tree / {args.compare}: {ratios}")


if __name__ == "__main__":
    main()
