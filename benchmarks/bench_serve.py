"""Load on ``runners serve``: requests/s and p50/p99 latency of /run and /run_sse.

Starts real servers and drives them with concurrent async httpx clients, each client on
its own session, then checks that every event a response acknowledged is stored exactly
once. Configurations: ``runners serve`` with 1 and 4 workers on SQLite and PostgreSQL, and
Google ADK 2.13's ``adk api_server`` (one process; it has no workers option) serving the
same agent on the same databases, in the same run.

    .venv/bin/python benchmarks/bench_serve.py [--requests 200] [--clients 8] [--skip-adk]

ADK comes from ``RUNNERS_ADK_PYTHON`` or ``.venv-adk`` (``bash scripts/setup_adk.sh``).
PostgreSQL is ``RUNNERS_TEST_POSTGRES_URL`` (default the local ``test`` database); each
configuration gets its own schema (ours) or database (ADK's tables live in ``public``),
dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _adk import default_adk_python

HERE = Path(__file__).resolve().parent
RUNNERS = Path(sys.executable).parent / "runners"
PG = os.environ.get("RUNNERS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

OUR_AGENT = """
from runners_core import BaseAgent


class Echo(BaseAgent):
    async def _run_async_impl(self, ctx):
        text = ctx.user_content.text if ctx.user_content else ""
        ctx.state["turns"] = ctx.state.get("turns", 0) + 1
        yield ctx.event(f"echo: {text}")


root_agent = Echo(name="bench")
"""

ADK_AGENT = """
from google.adk.agents import BaseAgent
from google.adk.events import Event, EventActions
from google.genai import types


class Echo(BaseAgent):
    async def _run_async_impl(self, ctx):
        text = "".join(p.text or "" for p in ctx.user_content.parts) if ctx.user_content else ""
        turns = ctx.session.state.get("turns", 0) + 1
        yield Event(
            author=self.name,
            invocation_id=ctx.invocation_id,
            content=types.Content(role="model", parts=[types.Part(text=f"echo: {text}")]),
            actions=EventActions(state_delta={"turns": turns}),
        )


root_agent = Echo(name="bench")
"""


@dataclass
class Result:
    config: str
    route: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (session, event id)
    failures: int = 0

    def row(self, verified: str) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000 if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
        rps = len(lat) / self.seconds if self.seconds else 0.0
        return (
            f"| {self.config} | {self.route} | {rps:7.1f} | {p50:7.1f} | {p99:7.1f} | "
            f"{self.failures} | {verified} |"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/list-apps", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not come up:\n{log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start_ours(work: Path, url: str, workers: int) -> tuple[str, subprocess.Popen[bytes]]:
    agent = work / "bench_agent.py"
    agent.write_text(OUR_AGENT)
    port = free_port()
    log = work / f"ours-{port}.log"
    process = subprocess.Popen(
        [
            str(RUNNERS),
            "serve",
            f"{agent}:root_agent",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--session-service",
            url,
            "--memory-service",
            f"sqlite:///{work}/memory.db",
            "--artifact-service",
            f"sqlite:///{work}/artifacts.db",
        ],
        cwd=work,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_up(base, process, log)
    return base, process


def start_adk(work: Path, adk_python: str, url: str) -> tuple[str, subprocess.Popen[bytes]]:
    agents = work / "adk_agents" / "bench"
    agents.mkdir(parents=True)
    (agents / "__init__.py").write_text("from . import agent\n")
    (agents / "agent.py").write_text(ADK_AGENT)
    port = free_port()
    log = work / f"adk-{port}.log"
    adk = str(Path(adk_python).parent / "adk")
    process = subprocess.Popen(
        [
            adk,
            "api_server",
            str(work / "adk_agents"),
            "--port",
            str(port),
            "--session_service_uri",
            url,
            "--log_level",
            "warning",
        ],
        cwd=work,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_up(base, process, log)
    return base, process


async def drive(base: str, config: str, route: str, requests: int, clients: int) -> Result:
    result = Result(config, route)
    sessions = [f"{route.strip('/')}-{i}-{secrets.token_hex(3)}" for i in range(clients)]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        for session in sessions:
            created = await client.post("/apps/bench/users/u/sessions", json={"sessionId": session})
            created.raise_for_status()

        async def worker(session: str, count: int) -> None:
            for index in range(count):
                body = {
                    "appName": "bench",
                    "userId": "u",
                    "sessionId": session,
                    "newMessage": {"role": "user", "parts": [{"text": f"m{index}"}]},
                }
                started = time.perf_counter()
                try:
                    if route == "/run":
                        response = await client.post("/run", json=body)
                        response.raise_for_status()
                        events = response.json()
                    else:
                        events = []
                        async with client.stream("POST", "/run_sse", json=body) as response:
                            response.raise_for_status()
                            async for line in response.aiter_lines():
                                if line.startswith("data: "):
                                    events.append(json.loads(line[6:]))
                        if any("error" in e for e in events):
                            raise RuntimeError(events)
                except (httpx.HTTPError, RuntimeError):
                    result.failures += 1
                    continue
                result.latencies.append(time.perf_counter() - started)
                result.acknowledged += [(session, e["id"]) for e in events if not e.get("partial")]

        per_client = max(1, requests // clients)
        began = time.perf_counter()
        await asyncio.gather(*(worker(s, per_client) for s in sessions))
        result.seconds = time.perf_counter() - began
    return result


async def verify(base: str, result: Result) -> str:
    """Every acknowledged event stored exactly once; 'ok' or what is wrong."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        stored: dict[str, list[str]] = {}
        for session in {s for s, _ in result.acknowledged}:
            found = await client.get(f"/apps/bench/users/u/sessions/{session}")
            stored[session] = [e["id"] for e in found.json()["events"]]
    problems = 0
    for session, event_id in result.acknowledged:
        if stored[session].count(event_id) != 1:
            problems += 1
    return "ok" if not problems else f"{problems} not stored once"


def run_config(
    name: str,
    start: Callable[[], tuple[str, subprocess.Popen[bytes]]],
    args: argparse.Namespace,
    rows: list[str],
) -> None:
    base, process = start()
    try:
        for route in ("/run", "/run_sse"):
            result = asyncio.run(drive(base, name, route, args.requests, args.clients))
            rows.append(result.row(asyncio.run(verify(base, result))))
            print(rows[-1], flush=True)
    finally:
        stop(process)


def pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(statement)


def postgres_reachable() -> bool:
    import psycopg

    try:
        psycopg.connect(PG, connect_timeout=5).close()
    except psycopg.Error:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per route")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--skip-adk", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    adk_python = default_adk_python()
    with_adk = not args.skip_adk and Path(adk_python).exists()
    rows = [
        f"{args.requests} requests per route, {args.clients} concurrent clients (one session each)",
        "",
        "| server | route | req/s | p50 ms | p99 ms | failed | stored once |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    print("\n".join(rows), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for workers in (1, 4):
            folder = work / f"ours-sqlite-{workers}"
            folder.mkdir()
            run_config(
                f"runners serve, SQLite, {workers} worker(s)",
                lambda f=folder, w=workers: start_ours(f, f"sqlite:///{f}/sessions.db", w),
                args,
                rows,
            )
        if with_adk:
            folder = work / "adk-sqlite"
            folder.mkdir()
            run_config(
                "adk api_server, SQLite",
                lambda: start_adk(folder, adk_python, f"sqlite+aiosqlite:///{folder}/adk.db"),
                args,
                rows,
            )
        if not args.skip_postgres and not postgres_reachable():
            print(f"(PostgreSQL at {PG} is unreachable: its rows are left out)")
        elif not args.skip_postgres:
            for workers in (1, 4):
                schema = f"bench_serve_{secrets.token_hex(4)}"
                folder = work / f"ours-pg-{workers}"
                folder.mkdir()
                try:
                    run_config(
                        f"runners serve, PostgreSQL, {workers} worker(s)",
                        lambda f=folder, w=workers, s=schema: start_ours(f, f"{PG}?schema={s}", w),
                        args,
                        rows,
                    )
                finally:
                    pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            if with_adk:
                database = f"bench_serve_adk_{secrets.token_hex(4)}"
                pg_admin(f'CREATE DATABASE "{database}"')
                folder = work / "adk-pg"
                folder.mkdir()
                adk_url = PG.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
                try:
                    run_config(
                        "adk api_server, PostgreSQL",
                        lambda: start_adk(folder, adk_python, f"{adk_url}/{database}"),
                        args,
                        rows,
                    )
                finally:
                    pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    if not with_adk:
        print(f"(ADK not found at {adk_python}: run bash scripts/setup_adk.sh)")


if __name__ == "__main__":
    main()
