"""ADK's own Runner on ADK's session services vs on runners-core backends (runners-adk).

    .venv/bin/python benchmarks/bench_adk_bridge.py [--invocations 200] [--sessions 50]
        [--per-session 20] [--llm-invocations 100] [--postgres URL] [--json]

Same agent, same workload, one run:

* one_session: --invocations invocations of an agent yielding 10 small events (each
  with a one-key state delta) on ONE session, sequentially, through ADK's ``Runner``;
  events/s, mean ms per invocation by quarter (ADK's Runner loads the whole session
  every invocation, so a flat profile needs fast loads), failed invocations.
* concurrent: --sessions sessions at once, --per-session invocations each; events/s
  and failed invocations.
* llm: an ``LlmAgent`` with one tool and a scripted model (call, tool, answer),
  --llm-invocations turns on one session: ADK's Runner + ADK's SqliteSessionService
  vs ``runners_core.Runner`` hosting the same agent (runners-adk) on runners-sqlite.

Sides: ADK's ``SqliteSessionService`` and ``DatabaseSessionService`` (PostgreSQL via
asyncpg, its own schema) run in the ADK virtualenv (``.venv-adk``, which has
SQLAlchemy); runners-sqlite / runners-postgres through ``runners_adk.session_service``
run in this virtualenv. Each part runs on our side, then at once on ADK's, so a
pair sees the same machine load (``--parts`` picks parts). PostgreSQL work uses a
fresh schema, dropped afterwards; runners-postgres gets ``pool_max=15``, the
connection ceiling of ADK's side (SQLAlchemy's default pool, 5 + 10 overflow).
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


def message(text: str) -> Any:
    from google.genai import types

    return types.Content(role="user", parts=[types.Part(text=text)])


async def one_invocation(runner: Any, session_id: str, text: str) -> int:
    count = 0
    async for _ in runner.run_async(user_id="u", session_id=session_id, new_message=message(text)):
        count += 1
    return count


async def bench_one_session(service: Any, invocations: int) -> dict[str, Any]:
    from google.adk.runners import Runner

    runner = Runner(app_name="bench", agent=ten_event_agent(), session_service=service)
    session = await service.create_session(app_name="bench", user_id="u")
    times, failed, events = [], 0, 0
    start = time.perf_counter()
    for i in range(invocations):
        t0 = time.perf_counter()
        try:
            events += await one_invocation(runner, session.id, f"m{i}")
        except Exception:
            failed += 1
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    q = max(1, invocations // 4)
    quarters = [
        round(1000 * sum(times[k : k + q]) / len(times[k : k + q]), 2) for k in range(0, q * 4, q)
    ]
    return {
        "events_per_s": round(events / total, 1),
        "ms_per_invocation_by_quarter": quarters,
        "failed": failed,
    }


async def bench_concurrent(service: Any, sessions: int, per_session: int) -> dict[str, Any]:
    from google.adk.runners import Runner

    runner = Runner(app_name="bench", agent=ten_event_agent(), session_service=service)
    ids = [
        (await service.create_session(app_name="bench", user_id="u")).id for _ in range(sessions)
    ]
    failed = 0
    errors: dict[str, int] = {}

    async def drive(session_id: str) -> int:
        nonlocal failed
        n = 0
        for i in range(per_session):
            try:
                n += await one_invocation(runner, session_id, f"m{i}")
            except Exception as exc:
                failed += 1
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
        return n

    start = time.perf_counter()
    counts = await asyncio.gather(*(drive(s) for s in ids))
    total = time.perf_counter() - start
    return {
        "events_per_s": round(sum(counts) / total, 1),
        "failed": failed,
        "errors": errors,
    }


def weather_agent() -> Any:
    sys.path.insert(0, str(REPO / "plugins" / "runners-adk"))
    from google.adk.agents import LlmAgent
    from runners_adk.scripted import ScriptedLlm, call

    def get_weather(city: str) -> dict:
        """The weather in *city*."""
        return {"city": city, "temp_c": 21}

    model = ScriptedLlm(script=[call("get_weather", city="Paris"), "21°C."], loop=True)
    return LlmAgent(name="weather", model=model, tools=[get_weather])


async def bench_llm_adk_runner(service: Any, invocations: int) -> dict[str, Any]:
    from google.adk.runners import Runner

    runner = Runner(app_name="bench", agent=weather_agent(), session_service=service)
    session = await service.create_session(app_name="bench", user_id="u")
    start, failed = time.perf_counter(), 0
    for i in range(invocations):
        try:
            await one_invocation(runner, session.id, f"weather {i}")
        except Exception:
            failed += 1
    total = time.perf_counter() - start
    return {"invocations_per_s": round(invocations / total, 1), "failed": failed}


# ---------------------------------------------------------------------- sides

# Each part runs on our side (this virtualenv) and then at once on ADK's side (the
# ADK virtualenv, a subprocess), so the two figures of a pair see the same machine
# load; the ratios printed compare those pairs.
PARTS = (
    "sqlite.one_session",
    "sqlite.concurrent",
    "postgres.one_session",
    "postgres.concurrent",
    "llm",
)


async def adk_part(part: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from google.adk.sessions.sqlite_session_service import SqliteSessionService

    if part == "sqlite.one_session":
        svc = SqliteSessionService(str(tmp / "a1.db"))
        return {"adk_sqlite.one_session": await bench_one_session(svc, args.invocations)}
    if part == "sqlite.concurrent":
        svc = SqliteSessionService(str(tmp / "a2.db"))
        result = await bench_concurrent(svc, args.sessions, args.per_session)
        return {"adk_sqlite.concurrent": result}
    if part == "llm":
        svc = SqliteSessionService(str(tmp / "a3.db"))
        result = await bench_llm_adk_runner(svc, args.llm_invocations)
        return {"adk_sqlite.llm_adk_runner": result}
    from google.adk.sessions.database_session_service import DatabaseSessionService

    schema = f"bench_adk_{secrets.token_hex(4)}"
    admin = await _pg_admin(args.postgres)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = args.postgres.replace("postgresql://", "postgresql+asyncpg://", 1)
        svc = DatabaseSessionService(url, connect_args={"server_settings": {"search_path": schema}})
        if part == "postgres.one_session":
            result = await bench_one_session(svc, args.invocations)
        else:
            result = await bench_concurrent(svc, args.sessions, args.per_session)
        await svc.close()
        return {f"adk_{part}": result}
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


async def _pg_admin(url: str) -> Any:
    import asyncpg

    return await asyncpg.connect(url)


async def our_part(part: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import runners_adk

    if part == "sqlite.one_session":
        svc = runners_adk.session_service(f"sqlite:///{tmp / 'o1.db'}")
        result = await bench_one_session(svc, args.invocations)
    elif part == "sqlite.concurrent":
        svc = runners_adk.session_service(f"sqlite:///{tmp / 'o2.db'}")
        result = await bench_concurrent(svc, args.sessions, args.per_session)
    elif part == "llm":
        return await our_llm(args, tmp)
    else:
        import psycopg

        schema = f"bench_rc_{secrets.token_hex(4)}"
        # The connection ceiling of ADK's side (SQLAlchemy's default pool: 5 + 10 overflow).
        svc = runners_adk.session_service(f"{args.postgres}?schema={schema}&pool_max=15")
        try:
            if part == "postgres.one_session":
                result = await bench_one_session(svc, args.invocations)
            else:
                result = await bench_concurrent(svc, args.sessions, args.per_session)
        finally:
            await svc.close()
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        return {f"runners_{part}": result}
    await svc.close()
    return {f"runners_{part}": result}


async def our_llm(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """The same LlmAgent: ADK's Runner on runners-sqlite, and runners_core.Runner hosting it."""
    import runners_adk

    from runners_core import Content, Runner

    out: dict[str, Any] = {}
    svc = runners_adk.session_service(f"sqlite:///{tmp / 'o3.db'}")
    out["runners_sqlite.llm_adk_runner"] = await bench_llm_adk_runner(svc, args.llm_invocations)
    await svc.close()
    runner = Runner.from_config(
        weather_agent(),
        app_name="bench",
        session_service=f"sqlite:///{tmp / 'o4.db'}",
        memory_service="memory://",
        artifact_service="memory://",
        auto_create_session=True,
    )
    start, failed = time.perf_counter(), 0
    for i in range(args.llm_invocations):
        try:
            async for _ in runner.run_async(
                user_id="u", session_id="s", new_message=Content.from_text(f"weather {i}")
            ):
                pass
        except Exception:
            failed += 1
    total = time.perf_counter() - start
    await runner.close()
    out["runners_sqlite.llm_our_runner"] = {
        "invocations_per_s": round(args.llm_invocations / total, 1),
        "failed": failed,
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invocations", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--per-session", type=int, default=20)
    parser.add_argument("--llm-invocations", type=int, default=100)
    parser.add_argument("--postgres", default=os.environ.get("RUNNERS_BENCH_POSTGRES", ""))
    parser.add_argument("--adk-python", default=default_adk_python())
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated parts to run")
    parser.add_argument("--adk-part", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.adk_part:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(asyncio.run(adk_part(args.adk_part, args, Path(tmp)))))
        return
    parts = [p for p in args.parts.split(",") if p]
    if not args.postgres:
        parts = [p for p in parts if not p.startswith("postgres.")]
    results: dict[str, Any] = {}
    forwarded = [a for a in sys.argv[1:] if a != "--json"]
    for part in parts:
        with tempfile.TemporaryDirectory() as tmp:
            results.update(asyncio.run(our_part(part, args, Path(tmp))))
        adk = subprocess.run(
            [args.adk_python, __file__, *forwarded, "--adk-part", part],
            capture_output=True,
            text=True,
            check=False,
        )
        if adk.returncode == 0:
            results.update(json.loads(adk.stdout.strip().splitlines()[-1]))
        else:
            results[f"adk_{part}.error"] = adk.stderr.strip().splitlines()[-1:]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name in sorted(results):
        print(f"{name:36} {results[name]}")
    for kind in ("one_session", "concurrent"):
        for backend in ("sqlite", "postgres"):
            a = results.get(f"runners_{backend}.{kind}")
            b = results.get(f"adk_{backend}.{kind}")
            if a and b and b["events_per_s"]:
                ratio = a["events_per_s"] / b["events_per_s"]
                print(f"{kind}: runners_{backend} / adk_{backend} = {ratio:.1f}x")


if __name__ == "__main__":
    main()
