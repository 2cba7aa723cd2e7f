"""Kernel benchmarks (issue 3), with Google ADK 2.13 side by side when available.

    .venv/bin/python benchmarks/bench_kernel.py [--invocations 200] [--adk-python PATH]
    .venv/bin/python benchmarks/bench_kernel.py --imports [--repeats 40]

Workload: an agent yielding 10 small events, each with a state delta, per invocation;
200 invocations on one session with InMemoryRunner. Reports events/s and mean
and median invocation time per quarter (cost must not grow with history; the mean
also carries Python's cyclic garbage collector, whose full passes scan the whole,
growing heap), `import runners_core`
wall time, and get_session of a 10,000-event in-memory session.

``--imports`` measures only import cost, as issue 13 states its target: whole-process
wall time of ``python -c STATEMENT`` minus that of a bare interpreter (``python -c pass``),
medians of many runs alternating bare, pydantic, runners-core (and ADK's runner when its
environment exists), and the ratio of the runner API import to ``from pydantic import
BaseModel`` taken within the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _adk import default_adk_python

from runners_core import (
    BaseAgent,
    Content,
    Event,
    EventActions,
    GetSessionConfig,
    InMemoryRunner,
    InMemorySessionService,
)

HERE = Path(__file__).resolve().parent
DEFAULT_ADK_PYTHON = default_adk_python()
EVENTS_PER_INVOCATION = 10


class TenEvents(BaseAgent):
    async def _run_async_impl(self, ctx):
        for i in range(EVENTS_PER_INVOCATION):
            yield ctx.event(f"event {i}", actions=EventActions(state_delta={f"k{i}": i}))


async def workload(invocations: int) -> list[float]:
    runner = InMemoryRunner(TenEvents(name="ten"), app_name="bench")
    await runner.session_service.create_session(app_name="bench", user_id="u", session_id="s")
    message = Content.from_text("go")
    times = []
    for _ in range(invocations):
        start = time.perf_counter()
        async for _ in runner.run_async(user_id="u", session_id="s", new_message=message):
            pass
        times.append(time.perf_counter() - start)
    await runner.close()
    return times


async def big_session(n: int) -> dict[str, float]:
    service = InMemorySessionService()
    session = await service.create_session(app_name="bench", user_id="u", session_id="big")
    for i in range(n):
        await service.append_event(
            session,
            Event(author="a", invocation_id="i", content=Content.from_text(f"e{i}", role="model")),
        )
    out = {}
    for label, config in (("full", None), ("recent10", GetSessionConfig(num_recent_events=10))):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            loaded = await service.get_session(
                app_name="bench", user_id="u", session_id="big", config=config
            )
            best = min(best, time.perf_counter() - start)
        assert loaded is not None and len(loaded.events) == (n if config is None else 10)
        out[label] = best
    return out


def import_time(statement: str, python: str = sys.executable, repeat: int = 7) -> float:
    """Best wall time of *statement* in a fresh interpreter (plugins disabled)."""
    code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    env = {**os.environ, "RUNNERS_CORE_PLUGINS": ""}
    runs = [
        float(
            subprocess.run(
                [python, "-c", code], capture_output=True, text=True, env=env, check=True
            ).stdout
        )
        for _ in range(repeat)
    ]
    return min(runs)


IMPORT_STATEMENTS = {
    "bare interpreter": "pass",
    "from pydantic import BaseModel": "from pydantic import BaseModel",
    "import runners_core": "import runners_core",
    "runner API": "from runners_core import Runner, InMemoryRunner, Content, Event",
}


def import_costs(repeats: int, adk_python: str | None) -> dict[str, dict[str, float]]:
    """Median ms (wall and CPU) of each import statement's process minus a bare interpreter's.

    Runs alternate (bare, pydantic, runners-core, ... then again) so machine load
    affects every statement alike; ADK's figure subtracts its own bare interpreter.
    Bytecode may be written and each statement runs once before timing, so the
    editable checkout imports compiled bytecode as pydantic's installed package does.
    CPU time (user + system of the child) is steadier than wall time on a busy machine.
    """
    env = {**os.environ, "RUNNERS_CORE_PLUGINS": ""}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    jobs = [(name, sys.executable, code) for name, code in IMPORT_STATEMENTS.items()]
    if adk_python and Path(adk_python).exists():
        jobs += [
            ("adk bare interpreter", adk_python, "pass"),
            ("ADK runner", adk_python, "from google.adk.runners import Runner, InMemoryRunner"),
        ]
    for _, python, code in jobs:
        subprocess.run([python, "-c", code], env=env, check=True)
    wall: dict[str, list[float]] = {name: [] for name, _, _ in jobs}
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in jobs}
    for _ in range(repeats):
        for name, python, code in jobs:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([python, "-c", code], env=env, check=True)
            wall[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    out: dict[str, dict[str, float]] = {}
    for clock, samples in (("wall", wall), ("cpu", cpu)):
        medians = {name: statistics.median(times) for name, times in samples.items()}
        bare = medians.pop("bare interpreter")
        adk_bare = medians.pop("adk bare interpreter", None)
        out[clock] = {"bare interpreter": bare * 1000}
        for name, value in medians.items():
            base = adk_bare if name == "ADK runner" else bare
            out[clock][name] = (value - base) * 1000
    return out


def print_import_costs(costs: dict[str, dict[str, float]], repeats: int) -> None:
    print(f"import cost: medians over {repeats} alternating runs, minus a bare interpreter")
    for clock, label in (("wall", "wall time"), ("cpu", "CPU time (user + system)")):
        figures = costs[clock]
        pydantic = figures["from pydantic import BaseModel"]
        print(f"\n{label}")
        print(f"  {'bare interpreter (absolute)':34} {figures['bare interpreter']:8.1f} ms")
        for name, value in figures.items():
            if name != "bare interpreter":
                print(f"  {name:34} {value:8.1f} ms   {value / pydantic:5.2f}x pydantic")


def quarters(times: list[float], stat=statistics.mean) -> list[float]:
    size = len(times) // 4
    return [stat(times[i * size : (i + 1) * size]) for i in range(4)]


def summarise(name: str, times: list[float], big: dict[str, float]) -> dict:
    q = quarters(times)
    median_q = quarters(times, statistics.median)
    total_events = len(times) * EVENTS_PER_INVOCATION
    return {
        "name": name,
        "events_per_second": total_events / sum(times),
        "quarter_ms": [x * 1000 for x in q],
        "last_over_first": q[3] / q[0],
        "quarter_median_ms": [x * 1000 for x in median_q],
        "median_last_over_first": median_q[3] / median_q[0],
        "get_session_10k_ms": big["full"] * 1000,
        "get_session_10k_recent10_ms": big["recent10"] * 1000,
    }


def run_adk(python: str, invocations: int, events: int) -> dict | None:
    if not Path(python).exists():
        print(f"(ADK side skipped: {python} not found; pip install google-adk==2.13.0 there)")
        return None
    out = subprocess.run(
        [python, str(HERE / "_adk_kernel_workload.py"), str(invocations), str(events)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return summarise("google-adk 2.13", data["invocations"], data["get_session"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=200)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--adk-python", default=DEFAULT_ADK_PYTHON)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--imports", action="store_true", help="measure import cost only")
    parser.add_argument("--repeats", type=int, default=40, help="runs per import statement")
    args = parser.parse_args()
    if args.imports:
        costs = import_costs(args.repeats, args.adk_python)
        if args.json:
            print(json.dumps(costs, indent=2))
        else:
            print_import_costs(costs, args.repeats)
        return

    ours = summarise(
        "runners-core",
        asyncio.run(workload(args.invocations)),
        asyncio.run(big_session(args.events)),
    )
    ours["import_runners_core_ms"] = import_time("import runners_core") * 1000
    ours["import_runner_api_ms"] = (
        import_time("from runners_core import Runner, InMemoryRunner, Content, Event") * 1000
    )
    rows = [ours]
    adk = run_adk(args.adk_python, args.invocations, args.events)
    if adk:
        adk["import_runner_api_ms"] = (
            import_time("from google.adk.runners import InMemoryRunner", args.adk_python) * 1000
        )
        rows.append(adk)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"InMemoryRunner, {args.invocations} invocations x {EVENTS_PER_INVOCATION} events "
        "with a state delta, one session"
    )
    for row in rows:
        q = ", ".join(f"{x:.2f}" for x in row["quarter_ms"])
        print(f"\n{row['name']}")
        print(f"  events/s                     {row['events_per_second']:>10.0f}")
        print(f"  mean ms/invocation by quarter {q}  (last/first {row['last_over_first']:.2f}x)")
        mq = ", ".join(f"{x:.2f}" for x in row["quarter_median_ms"])
        print(
            f"  median ms by quarter          {mq}  (last/first "
            f"{row['median_last_over_first']:.2f}x)"
        )
        print(f"  get_session 10k events       {row['get_session_10k_ms']:>10.2f} ms")
        print(f"  get_session num_recent=10    {row['get_session_10k_recent10_ms']:>10.3f} ms")
        if "import_runners_core_ms" in row:
            print(f"  import runners_core          {row['import_runners_core_ms']:>10.1f} ms")
        print(f"  import runner API            {row['import_runner_api_ms']:>10.1f} ms")


if __name__ == "__main__":
    main()
