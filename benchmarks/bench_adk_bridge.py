"""ADK's own Runner on ADK's session services vs on runners-core backends (runners-adk).

    .venv/bin/python benchmarks/bench_adk_bridge.py [--invocations 200] [--sessions 50]
        [--per-session 20] [--llm-invocations 100] [--rounds 20] [--postgres URL]
        [--parts sqlite.one_session,...] [--json]

Same agent, same workload, one run, the sides alternating:

* one_session: --invocations invocations of an agent yielding 10 small events (each
  with a one-key state delta) on ONE session, sequentially, through ADK's ``Runner``;
  events/s, mean wall and CPU ms per invocation by quarter (ADK's Runner loads the
  whole session every invocation, so a flat profile needs fast loads; CPU by quarter
  is steadier than wall time when database commits wait on a busy disk), failed
  invocations.
* concurrent: --sessions sessions at once, --per-session invocations each; events/s,
  mean ms per invocation by quarter, failed invocations.
* llm: an ``LlmAgent`` with one tool and a scripted model (call, tool, answer),
  --llm-invocations turns on one session: ADK's Runner + ADK's SqliteSessionService,
  ADK's Runner + runners-sqlite, and ``runners_core.Runner`` hosting the same agent
  (runners-adk) on runners-sqlite.

Sides: ADK's ``SqliteSessionService`` and ``DatabaseSessionService`` (PostgreSQL via
asyncpg, its own schema) run in the ADK virtualenv (``.venv-adk``, which has
SQLAlchemy); runners-sqlite / runners-postgres through ``runners_adk.session_service``
run in this virtualenv. Every side of a part is a worker process that sets its
workload up once, then runs it in --rounds chunks when told to: round r runs the
r-th share of the invocations (of every session, for concurrent) on each side, in
the order A B, then B A, then A B... so both sides see the same machine load
through the run, and drift over the run falls on both alike. A side's events/s
is its events over the wall time of its own chunks only; CPU is its worker
process's (user + system; database servers not included). The load average is
sampled before every round. PostgreSQL work uses a fresh schema per side, dropped
afterwards; runners-postgres gets ``pool_max=15``, the connection ceiling of ADK's
side (SQLAlchemy's default pool, 5 + 10 overflow).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _adk import default_adk_python

REPO = Path(__file__).resolve().parents[1]
EVENTS_PER_INVOCATION = 10
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"

# Part -> its sides (row names); a row starting with "adk_" runs in the ADK virtualenv.
PARTS: dict[str, tuple[str, ...]] = {
    "sqlite.one_session": ("adk_sqlite.one_session", "runners_sqlite.one_session"),
    "sqlite.concurrent": ("adk_sqlite.concurrent", "runners_sqlite.concurrent"),
    "postgres.one_session": ("adk_postgres.one_session", "runners_postgres.one_session"),
    "postgres.concurrent": ("adk_postgres.concurrent", "runners_postgres.concurrent"),
    "llm": (
        "adk_sqlite.llm_adk_runner",
        "runners_sqlite.llm_adk_runner",
        "runners_sqlite.llm_our_runner",
    ),
}


# ---------------------------------------------------------------------- shared workload


def ten_event_agent() -> Any:
    from google.adk.agents.base_agent import BaseAgent
    from google.adk.events.event import Event
    from google.adk.events.event_actions import EventActions
    from google.genai import types

    class TenEvents(BaseAgent):
        async def _run_async_impl(self, ctx):  # type: ignore[override]
            for i in range(EVENTS_PER_INVOCATION):
                yield Event(
                    invocation_id=ctx.invocation_id,
                    author=self.name,
                    content=types.Content(role="model", parts=[types.Part(text=f"step {i}")]),
                    actions=EventActions(state_delta={"step": i}),
                )

    return TenEvents(name="worker")


def weather_agent() -> Any:
    sys.path.insert(0, str(REPO / "plugins" / "runners-adk"))
    from google.adk.agents import LlmAgent
    from runners_adk.scripted import ScriptedLlm, call

    def get_weather(city: str) -> dict:
        """The weather in *city*."""
        return {"city": city, "temp_c": 21}

    model = ScriptedLlm(script=[call("get_weather", city="Paris"), "21°C."], loop=True)
    return LlmAgent(name="weather", model=model, tools=[get_weather])


def message(text: str) -> Any:
    from google.genai import types

    return types.Content(role="user", parts=[types.Part(text=text)])


def share(total: int, rounds: int, r: int) -> range:
    """The invocation indexes round *r* of *rounds* runs, of *total*."""
    return range(total * r // rounds, total * (r + 1) // rounds)


class Workload:
    """One row: its service and sessions, run a share at a time (in a worker process)."""

    def __init__(self, row: str, args: argparse.Namespace, tmp: Path) -> None:
        self.row, self.args, self.tmp = row, args, tmp
        self.backend, self.kind = row.split(".", 1)
        self.service: Any = None
        self.runner: Any = None
        self.session_ids: list[str] = []
        self.schema = ""

    # -- setup / teardown

    async def setup(self) -> None:
        if self.kind == "llm_our_runner":
            from runners_core import Runner

            self.runner = Runner.from_config(
                weather_agent(),
                app_name="bench",
                session_service=f"sqlite:///{self.tmp / 'ours.db'}",
                memory_service="memory://",
                artifact_service="memory://",
                auto_create_session=True,
            )
            self.session_ids = ["s"]
            return
        from google.adk.runners import Runner

        self.service = await self._service()
        agent = weather_agent() if self.kind.startswith("llm") else ten_event_agent()
        self.runner = Runner(app_name="bench", agent=agent, session_service=self.service)
        count = self.args.sessions if self.kind == "concurrent" else 1
        for _ in range(count):
            session = await self.service.create_session(app_name="bench", user_id="u")
            self.session_ids.append(session.id)

    async def _service(self) -> Any:
        db = self.tmp / "bench.db"
        if self.backend == "adk_sqlite":
            from google.adk.sessions.sqlite_session_service import SqliteSessionService

            return SqliteSessionService(str(db))
        if self.backend == "runners_sqlite":
            import runners_adk

            return runners_adk.session_service(f"sqlite:///{db}")
        self.schema = f"bench_{self.backend}_{secrets.token_hex(4)}"
        if self.backend == "adk_postgres":
            import asyncpg
            from google.adk.sessions.database_session_service import DatabaseSessionService

            admin = await asyncpg.connect(self.args.postgres)
            await admin.execute(f'CREATE SCHEMA "{self.schema}"')
            await admin.close()
            url = self.args.postgres.replace("postgresql://", "postgresql+asyncpg://", 1)
            return DatabaseSessionService(
                url, connect_args={"server_settings": {"search_path": self.schema}}
            )
        import runners_adk

        # The connection ceiling of ADK's side (SQLAlchemy's default pool: 5 + 10 overflow).
        return runners_adk.session_service(f"{self.args.postgres}?schema={self.schema}&pool_max=15")

    async def close(self) -> None:
        if self.kind == "llm_our_runner":
            await self.runner.close()
            return
        if self.service is not None and hasattr(self.service, "close"):
            await self.service.close()
        if not self.schema:
            return
        if self.backend == "adk_postgres":
            import asyncpg

            admin = await asyncpg.connect(self.args.postgres)
            await admin.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            await admin.close()
        else:
            import psycopg

            with psycopg.connect(self.args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    # -- one round

    def total(self) -> int:
        if self.kind.startswith("llm"):
            return self.args.llm_invocations
        return self.args.per_session if self.kind == "concurrent" else self.args.invocations

    async def invoke(self, session_id: str, i: int) -> int:
        text = f"weather {i}" if self.kind.startswith("llm") else f"m{i}"
        count = 0
        if self.kind == "llm_our_runner":
            from runners_core import Content

            async for _ in self.runner.run_async(
                user_id="u", session_id=session_id, new_message=Content.from_text(text)
            ):
                count += 1
            return count
        async for _ in self.runner.run_async(
            user_id="u", session_id=session_id, new_message=message(text)
        ):
            count += 1
        return count

    async def round(self, r: int, rounds: int) -> dict[str, Any]:
        indexes = share(self.total(), rounds, r)
        errors: dict[str, int] = {}
        times: list[float] = []

        async def drive(session_id: str) -> int:
            n = 0
            for i in indexes:
                t0 = time.perf_counter()
                try:
                    n += await self.invoke(session_id, i)
                except Exception as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                times.append(time.perf_counter() - t0)
            return n

        cpu0, wall0 = time.process_time(), time.perf_counter()
        counts = await asyncio.gather(*(drive(s) for s in self.session_ids))
        return {
            "wall": time.perf_counter() - wall0,
            "cpu": time.process_time() - cpu0,
            "events": sum(counts),
            "invocations": len(times),
            "times": times,
            "errors": errors,
        }


# ---------------------------------------------------------------------- worker


async def worker(row: str, args: argparse.Namespace) -> None:
    """Serve one row over stdin/stdout: one JSON line in ({"round": r, "rounds": n} or
    {"end": true}), one JSON line out. Anything else written to stdout goes to stderr."""
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory() as tmp:
        workload = Workload(row, args, Path(tmp))
        await workload.setup()
        try:
            out.write(json.dumps({"ready": row}) + "\n")
            out.flush()
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                command = json.loads(line) if line.strip() else {"end": True}
                if command.get("end"):
                    break
                result = await workload.round(command["round"], command["rounds"])
                out.write(json.dumps(result) + "\n")
                out.flush()
        finally:
            await workload.close()
    out.write(json.dumps({"done": row}) + "\n")
    out.flush()


# ---------------------------------------------------------------------- coordinator


class Side:
    """A worker process serving one row."""

    def __init__(self, row: str, python: str, forwarded: list[str]) -> None:
        self.row = row
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [python, __file__, *forwarded, "--worker", row],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.rounds: list[dict[str, Any]] = []
        self.failure = ""

    def ask(self, command: dict[str, Any]) -> dict[str, Any] | None:
        if self.failure:
            return None
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            if command:
                self.proc.stdin.write(json.dumps(command) + "\n")
                self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            self.stderr.seek(0)
            tail = self.stderr.read().strip().splitlines()[-3:]
            self.failure = " | ".join(tail) or f"exited with {self.proc.poll()}"
            return None
        return json.loads(line)

    def finish(self) -> None:
        if not self.failure:
            self.ask({"end": True})
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.stderr.close()

    def cpu_by_quarter(self) -> list[float]:
        """CPU ms per invocation over each quarter of the rounds (CPU is per round)."""
        n = len(self.rounds)
        if n < 4:
            return []
        out = []
        for k in range(4):
            part = self.rounds[n * k // 4 : n * (k + 1) // 4]
            invocations = sum(r["invocations"] for r in part)
            out.append(round(1000 * sum(r["cpu"] for r in part) / max(1, invocations), 2))
        return out

    def summary(self) -> dict[str, Any]:
        if self.failure and not self.rounds:
            return {"error": self.failure}
        wall = sum(r["wall"] for r in self.rounds)
        cpu = sum(r["cpu"] for r in self.rounds)
        times = [t for r in self.rounds for t in r["times"]]
        invocations = len(times)
        errors: dict[str, int] = {}
        for r in self.rounds:
            for name, n in r["errors"].items():
                errors[name] = errors.get(name, 0) + n
        q = max(1, invocations // 4)
        quarters = [times[k : k + q] for k in range(0, q * 4, q)] if invocations >= 4 else [times]
        out: dict[str, Any] = {
            "events_per_s": round(sum(r["events"] for r in self.rounds) / wall, 1),
            "invocations_per_s": round(invocations / wall, 2),
            "cpu_ms_per_invocation": round(1000 * cpu / invocations, 2),
            "ms_per_invocation_by_quarter": [round(1000 * sum(t) / len(t), 1) for t in quarters],
            "cpu_ms_per_invocation_by_quarter": self.cpu_by_quarter(),
            "invocations": invocations,
            "failed": sum(errors.values()),
            "errors": errors,
        }
        if self.failure:
            out["error"] = self.failure
        return out


def run_part(part: str, args: argparse.Namespace, forwarded: list[str]) -> dict[str, Any]:
    rows = PARTS[part]
    sides = [
        Side(row, args.adk_python if row.startswith("adk_") else sys.executable, forwarded)
        for row in rows
    ]
    for side in sides:
        side.ask({})  # wait until it is set up
    loads: list[float] = []
    try:
        for r in range(args.rounds):
            loads.append(os.getloadavg()[0])
            for side in sides if r % 2 == 0 else reversed(sides):
                result = side.ask({"round": r, "rounds": args.rounds})
                if result is not None:
                    side.rounds.append(result)
        loads.append(os.getloadavg()[0])
    finally:
        for side in sides:
            side.finish()
    out: dict[str, Any] = {"rows": {s.row: s.summary() for s in sides}}
    out["load_average"] = {
        "start": loads[0],
        "end": loads[-1],
        "mean": round(sum(loads) / len(loads), 2),
    }
    adk = out["rows"][rows[0]]
    ratios: dict[str, Any] = {}
    metric = "invocations_per_s" if part == "llm" else "events_per_s"
    for row in rows[1:]:
        ours = out["rows"][row]
        if "error" in adk or "error" in ours or not adk.get(metric):
            continue
        pairs = zip(
            adk["ms_per_invocation_by_quarter"], ours["ms_per_invocation_by_quarter"], strict=False
        )
        quarters = [round(a / b, 1) if b else None for a, b in pairs]
        ratios[row] = {
            "ratio": round(ours[metric] / adk[metric], 2),
            "by_quarter": quarters,
            "cpu_ratio": round(adk["cpu_ms_per_invocation"] / ours["cpu_ms_per_invocation"], 2),
        }
    out["ratios"] = ratios
    return out


def print_part(part: str, result: dict[str, Any]) -> None:
    load = result["load_average"]
    print(
        f"== {part}  (1-min load average {load['start']:.2f} -> {load['end']:.2f}, "
        f"mean {load['mean']:.2f})"
    )
    for row, s in result["rows"].items():
        if "events_per_s" not in s:
            print(f"  {row:32} ERROR {s.get('error')}")
            continue
        quarters = " ".join(f"{q:g}" for q in s["ms_per_invocation_by_quarter"])
        cpu_quarters = " ".join(f"{q:g}" for q in s["cpu_ms_per_invocation_by_quarter"])
        failed = f"{s['failed']} of {s['invocations']} failed"
        if s["errors"]:
            failed += f" {s['errors']}"
        print(
            f"  {row:32} {s['events_per_s']:9.1f} events/s {s['invocations_per_s']:8.2f} inv/s"
            f"  cpu {s['cpu_ms_per_invocation']:7.2f} ms/inv  ms/inv by quarter: {quarters}"
            f"  cpu ms/inv by quarter: {cpu_quarters}"
            f"  {failed}"
        )
        if "error" in s:
            print(f"  {'':32} ERROR {s['error']}")
    for row, r in result["ratios"].items():
        quarters = " ".join(f"{q}x" for q in r["by_quarter"])
        print(
            f"  ratio {row} / {next(iter(result['rows']))}: {r['ratio']:.2f}x"
            f"  (by quarter: {quarters}; CPU per invocation {r['cpu_ratio']:.2f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invocations", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--per-session", type=int, default=20)
    parser.add_argument("--llm-invocations", type=int, default=100)
    parser.add_argument(
        "--rounds", type=int, default=20, help="chunks per side, alternating (default 20)"
    )
    parser.add_argument("--postgres", default=os.environ.get("RUNNERS_BENCH_POSTGRES", ""))
    parser.add_argument("--adk-python", default=default_adk_python())
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated parts to run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(args.worker, args))
        return
    parts = [p for p in args.parts.split(",") if p]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    if not args.postgres:
        skipped = [p for p in parts if p.startswith("postgres.")]
        if skipped and not args.json:
            print(f"(skipping {', '.join(skipped)}: pass --postgres URL, e.g. {PG_DEFAULT})")
        parts = [p for p in parts if not p.startswith("postgres.")]
    forwarded = [a for a in sys.argv[1:] if a != "--json"]
    results: dict[str, Any] = {}
    for part in parts:
        results[part] = run_part(part, args, forwarded)
        if not args.json:
            print_part(part, results[part])
            sys.stdout.flush()
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
