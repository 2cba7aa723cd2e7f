"""runners-core against Google ADK 2.13, the OpenAI Agents SDK 0.24 and LangGraph 1.2 (issue 13).

    .venv/bin/python benchmarks/bench_peers.py [--repeats 2] [--only w1,w2,...] [--json]
    .venv/bin/python benchmarks/bench_peers.py --full          # the issue's sizes (long)

Each framework runs in its own optional virtualenv (never a runners-core dependency):
``.venv-adk`` (``scripts/setup_adk.sh``), ``.venv-openai`` and ``.venv-langgraph``
(``scripts/setup_peers.sh``); a missing one is skipped with a message. Every measurement
runs in a fresh subprocess of that framework's Python, and the frameworks alternate
(A B C A B C ...) ``--repeats`` times; the report gives medians and ratios against
runners-core taken from the same run.

Workloads (default sizes keep the run to a few minutes; ``--full`` uses the issue's):

* W1 append: --events small events appended one at a time to one session; events/s.
* W2 read: of a --events-event session, the last 10 events (median of 50 calls), and the
  whole history, every event decoded and its text read, cold (first read in a fresh
  process) and warm (again in that process); peak RSS of the reading process.
* W3 runner: --turns turns of a user message plus 10 events through each framework's
  runner on SQLite; events/s and mean ms per turn by quarter. The OpenAI SDK's runner
  needs a model, so its row is the session work its runner does per turn
  (``get_items()`` of the history, ``add_items`` of the user item and of 10 items).
* W4 concurrency: --sessions sessions x --session-turns turns at once on SQLite; events/s.
* pg8: 8 processes each appending --proc-events events to its own session on PostgreSQL.
* import: wall time of importing each framework's runner minus a bare interpreter.
* long (``--long``): runners-core alone, --long-turns turns of a user message and 10
  events on one session on SQLite, PostgreSQL and Redis, in a fresh process; mean ms per
  turn (wall and process CPU) by tenth of the run, then 20 more turns in another fresh
  process (its first load of the whole long session), compared with 20 turns in a
  fresh process on a new, empty session of the same store. No backend keeps a decoded-event
  cache any more (SQLite's ``event_cache_mb`` is accepted and ignored), so this one run
  is also the "cache off" run.

LangGraph has no event log (each step writes a whole checkpoint), so it has no W1 row;
its W2 reads the thread's message list from the latest checkpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _adk import default_adk_python

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
PG_URL = os.environ.get("RUNNERS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("RUNNERS_BENCH_REDIS", "redis://127.0.0.1:6379/0")
APP, USER = "bench", "u"


def peer_python(venv: str) -> Path:
    """*venv*'s interpreter in this checkout, else in a ``main`` worktree beside it."""
    here = REPO / venv / "bin" / "python"
    beside = REPO.parent / "main" / venv / "bin" / "python"
    return here if here.exists() or not beside.exists() else beside


SIDES = {
    "runners-core": REPO / ".venv" / "bin" / "python",
    "adk-2.13": Path(default_adk_python()),
    "openai-agents": peer_python(".venv-openai"),
    "langgraph": peer_python(".venv-langgraph"),
}
# Which sides run each job (storage after the colon).
JOBS: dict[str, tuple[str, ...]] = {
    "w1:sqlite": ("runners-core", "adk-2.13", "openai-agents"),
    "w1:postgres": ("runners-core", "adk-2.13", "openai-agents"),
    "w1:redis": ("runners-core", "openai-agents"),
    "w2:sqlite": ("runners-core", "adk-2.13", "openai-agents", "langgraph"),
    "w2:postgres": ("runners-core", "adk-2.13", "openai-agents", "langgraph"),
    "w2:redis": ("runners-core", "openai-agents"),
    "w3:sqlite": ("runners-core", "adk-2.13", "openai-agents", "langgraph"),
    "w4:sqlite": ("runners-core", "adk-2.13", "langgraph"),
    "pg8:postgres": ("runners-core", "adk-2.13", "openai-agents"),
}
IMPORTS = {
    "runners-core": "from runners_core import Runner, InMemoryRunner, Content, Event",
    "adk-2.13": "from google.adk.runners import Runner, InMemoryRunner",
    "openai-agents": "from agents import Agent, Runner",
    "langgraph": "from langgraph.graph import StateGraph",
}


# ====================================================================== timing helpers


async def medians_of(times: int, call: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """Median wall time and median process CPU time of *times* calls (seconds)."""
    walls, cpus = [], []
    for _ in range(times):
        start, cpu = time.perf_counter(), time.process_time()
        await call()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


async def read_figures(
    whole: Callable[[], Awaitable[Any]], last10: Callable[[], Awaitable[Any]]
) -> dict[str, float]:
    """W2's figures in ms: the whole history cold (first read) and warm, the last 10."""
    cold, cold_cpu = await medians_of(1, whole)
    warm, warm_cpu = await medians_of(3, whole)
    last, last_cpu = await medians_of(50, last10)
    return {
        "whole_cold_ms": cold * 1000,
        "whole_cold_cpu_ms": cold_cpu * 1000,
        "whole_warm_ms": warm * 1000,
        "whole_warm_cpu_ms": warm_cpu * 1000,
        "last10_ms": last * 1000,
        "last10_cpu_ms": last_cpu * 1000,
    }


def quarters(per_turn: list[float], bands: int = 4, warmup: int = 0) -> list[float]:
    """Mean ms per turn of each of *bands* equal parts, after *warmup* first turns."""
    per_turn = per_turn[warmup:]
    size = max(1, len(per_turn) // bands)
    return [
        statistics.mean(per_turn[i * size : (i + 1) * size]) * 1000
        for i in range(bands)
        if per_turn[i * size : (i + 1) * size]
    ]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def unique(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"


# ====================================================================== runners-core side


class RunnersSide:
    """runners-core through its public API."""

    def __init__(self, storage: str, workdir: Path, tag: str) -> None:
        self.storage, self.workdir, self.tag = storage, workdir, tag

    def url(self) -> str:
        if self.storage == "sqlite":
            return f"sqlite:///{self.workdir}/runners.db"
        if self.storage == "postgres":
            return f"{PG_URL}?schema={self.tag}"
        return f"{REDIS_URL}?prefix={self.tag}"

    def service(self) -> Any:
        from runners_core.services import session_service_from_url

        return session_service_from_url(self.url())

    @staticmethod
    def event(i: int) -> Any:
        from runners_core import Content, Event, EventActions

        return Event(
            author="agent",
            invocation_id=f"inv-{i // 10}",
            content=Content.from_text(f"step {i}"),
            actions=EventActions(state_delta={f"k{i % 10}": i}),
        )

    async def append(self, n: int, session_id: str = "big") -> float:
        service = self.service()
        session = await service.create_session(app_name=APP, user_id=USER, session_id=session_id)
        events = [self.event(i) for i in range(n)]
        start = time.perf_counter()
        for event in events:
            await service.append_event(session, event)
        elapsed = time.perf_counter() - start
        await service.close()
        return n / elapsed

    async def read(self) -> dict[str, float]:
        from runners_core import GetSessionConfig

        service = self.service()
        key = {"app_name": APP, "user_id": USER, "session_id": "big"}

        async def whole() -> None:
            session = await service.get_session(**key)
            for event in session.events:
                _ = event.content.parts[0].text

        recent = GetSessionConfig(num_recent_events=10)

        async def last10() -> None:
            session = await service.get_session(**key, config=recent)
            for event in session.events:
                _ = event.content.parts[0].text

        figures = await read_figures(whole, last10)
        await service.close()
        return figures

    def runner(self, service: Any) -> Any:
        from runners_core import BaseAgent, EventActions, Runner

        class TenEvents(BaseAgent):
            async def _run_async_impl(self, ctx: Any) -> Any:
                for i in range(10):
                    yield ctx.event(f"event {i}", actions=EventActions(state_delta={f"k{i}": i}))

        return Runner(app_name=APP, agent=TenEvents(name="ten"), session_service=service)

    async def turns(self, n: int) -> list[float]:
        from runners_core import Content

        service = self.service()
        await service.create_session(app_name=APP, user_id=USER, session_id="run")
        runner = self.runner(service)
        message = Content.from_text("go")
        times = []
        self.cpu_times: list[float] = []
        for _ in range(n):
            start, cpu = time.perf_counter(), time.process_time()
            async for _ in runner.run_async(user_id=USER, session_id="run", new_message=message):
                pass
            times.append(time.perf_counter() - start)
            self.cpu_times.append(time.process_time() - cpu)
        await service.close()
        return times

    async def more_turns(self, n: int, session_id: str = "run") -> dict[str, float]:
        """*n* turns on *session_id* in this (fresh) process: ms per turn. A session other
        than the long "run" one is created first (empty)."""
        from runners_core import Content

        service = self.service()
        if session_id != "run":
            await service.create_session(app_name=APP, user_id=USER, session_id=session_id)
        runner = self.runner(service)
        message = Content.from_text("go")
        walls, cpus = [], []
        for _ in range(n):
            start, cpu = time.perf_counter(), time.process_time()
            async for _ in runner.run_async(
                user_id=USER, session_id=session_id, new_message=message
            ):
                pass
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        session = await service.get_session(app_name=APP, user_id=USER, session_id=session_id)
        await service.close()
        return {
            "first_turn_ms": walls[0] * 1000,
            "turn_ms": statistics.mean(walls) * 1000,
            "turn_cpu_ms": statistics.mean(cpus) * 1000,
            "events": len(session.events),
        }

    async def concurrent(self, sessions: int, turns: int) -> float:
        from runners_core import Content

        service = self.service()
        runner = self.runner(service)
        message = Content.from_text("go")
        for s in range(sessions):
            await service.create_session(app_name=APP, user_id=USER, session_id=f"c{s}")

        async def one(s: int) -> None:
            for _ in range(turns):
                async for _ in runner.run_async(
                    user_id=USER, session_id=f"c{s}", new_message=message
                ):
                    pass

        start = time.perf_counter()
        await asyncio.gather(*(one(s) for s in range(sessions)))
        elapsed = time.perf_counter() - start
        await service.close()
        return sessions * turns * 11 / elapsed

    async def cleanup(self) -> None:
        if self.storage == "postgres":
            import psycopg

            async with await psycopg.AsyncConnection.connect(PG_URL, autocommit=True) as conn:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{self.tag}" CASCADE')
        elif self.storage == "redis":
            import redis.asyncio as redis

            client = redis.from_url(REDIS_URL)
            async for key in client.scan_iter(match=f"{self.tag}*", count=1000):
                await client.delete(key)
            await client.aclose()


# ====================================================================== Google ADK side


class AdkSide:
    def __init__(self, storage: str, workdir: Path, tag: str) -> None:
        self.storage, self.workdir, self.tag = storage, workdir, tag

    def service(self) -> Any:
        if self.storage == "sqlite":
            from google.adk.sessions.sqlite_session_service import SqliteSessionService

            return SqliteSessionService(str(self.workdir / "adk.db"))
        from google.adk.sessions.database_session_service import DatabaseSessionService

        url = PG_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
        return DatabaseSessionService(
            url, connect_args={"server_settings": {"search_path": self.tag}}
        )

    async def prepare(self) -> None:
        if self.storage == "postgres":
            await _create_schema(self.tag)

    @staticmethod
    def event(i: int) -> Any:
        from google.adk.events import Event, EventActions
        from google.genai import types

        return Event(
            author="agent",
            invocation_id=f"inv-{i // 10}",
            content=types.Content(role="model", parts=[types.Part(text=f"step {i}")]),
            actions=EventActions(state_delta={f"k{i % 10}": i}),
        )

    async def append(self, n: int, session_id: str = "big") -> float:
        await self.prepare()
        service = self.service()
        session = await service.create_session(app_name=APP, user_id=USER, session_id=session_id)
        events = [self.event(i) for i in range(n)]
        start = time.perf_counter()
        for event in events:
            await service.append_event(session, event)
        elapsed = time.perf_counter() - start
        await _adk_close(service)
        return n / elapsed

    async def read(self) -> dict[str, float]:
        from google.adk.sessions.base_session_service import GetSessionConfig

        service = self.service()
        key = {"app_name": APP, "user_id": USER, "session_id": "big"}

        async def load(config: Any = None) -> None:
            session = await service.get_session(**key, config=config)
            for event in session.events:
                _ = event.content.parts[0].text

        figures = await read_figures(load, lambda: load(GetSessionConfig(num_recent_events=10)))
        await _adk_close(service)
        return figures

    def runner(self, service: Any) -> Any:
        from google.adk.agents import BaseAgent
        from google.adk.events import Event, EventActions
        from google.adk.runners import Runner
        from google.genai import types

        class TenEvents(BaseAgent):
            async def _run_async_impl(self, ctx: Any) -> Any:
                for i in range(10):
                    yield Event(
                        author=self.name,
                        invocation_id=ctx.invocation_id,
                        content=types.Content(role="model", parts=[types.Part(text=f"event {i}")]),
                        actions=EventActions(state_delta={f"k{i}": i}),
                    )

        return Runner(app_name=APP, agent=TenEvents(name="ten"), session_service=service)

    async def turns(self, n: int) -> list[float]:
        from google.genai import types

        await self.prepare()
        service = self.service()
        await service.create_session(app_name=APP, user_id=USER, session_id="run")
        runner = self.runner(service)
        message = types.Content(role="user", parts=[types.Part(text="go")])
        times = []
        for _ in range(n):
            start = time.perf_counter()
            async for _ in runner.run_async(user_id=USER, session_id="run", new_message=message):
                pass
            times.append(time.perf_counter() - start)
        await _adk_close(service)
        return times

    async def concurrent(self, sessions: int, turns: int) -> float:
        from google.genai import types

        service = self.service()
        runner = self.runner(service)
        message = types.Content(role="user", parts=[types.Part(text="go")])
        for s in range(sessions):
            await service.create_session(app_name=APP, user_id=USER, session_id=f"c{s}")

        async def one(s: int) -> None:
            for _ in range(turns):
                async for _ in runner.run_async(
                    user_id=USER, session_id=f"c{s}", new_message=message
                ):
                    pass

        start = time.perf_counter()
        await asyncio.gather(*(one(s) for s in range(sessions)))
        elapsed = time.perf_counter() - start
        await _adk_close(service)
        return sessions * turns * 11 / elapsed

    async def cleanup(self) -> None:
        if self.storage == "postgres":
            await _drop_schema(self.tag)


async def _adk_close(service: Any) -> None:
    close = getattr(service, "close", None)
    if close is not None:
        await close()


# ====================================================================== OpenAI Agents SDK side


class OpenAISide:
    def __init__(self, storage: str, workdir: Path, tag: str) -> None:
        self.storage, self.workdir, self.tag = storage, workdir, tag

    def session(self, session_id: str) -> Any:
        if self.storage == "sqlite":
            from agents import SQLiteSession

            return SQLiteSession(session_id, str(self.workdir / "openai.db"))
        if self.storage == "redis":
            from agents.extensions.memory.redis_session import RedisSession

            return RedisSession.from_url(session_id, url=REDIS_URL, key_prefix=self.tag)
        from agents.extensions.memory.sqlalchemy_session import SQLAlchemySession

        url = PG_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
        return SQLAlchemySession.from_url(
            session_id,
            url=url,
            create_tables=True,
            sessions_table=f"{self.tag}_sessions",
            messages_table=f"{self.tag}_messages",
        )

    @staticmethod
    def item(i: int) -> dict[str, Any]:
        return {"role": "assistant", "content": f"step {i}"}

    async def append(self, n: int, session_id: str = "big") -> float:
        session = self.session(session_id)
        items = [self.item(i) for i in range(n)]
        await session.add_items(items[:1])  # creates tables and the session row
        start = time.perf_counter()
        for item in items[1:]:
            await session.add_items([item])
        elapsed = time.perf_counter() - start
        await _openai_close(session)
        return (n - 1) / elapsed

    async def read(self) -> dict[str, float]:
        session = self.session("big")

        async def load(limit: int | None = None) -> None:
            for item in await session.get_items(limit=limit):
                _ = item["content"]

        figures = await read_figures(load, lambda: load(10))
        await _openai_close(session)
        return figures

    async def turns(self, n: int) -> list[float]:
        session = self.session("run")
        times = []
        for t in range(n):
            start = time.perf_counter()
            await session.get_items()
            await session.add_items([{"role": "user", "content": "go"}])
            await session.add_items([self.item(t * 10 + i) for i in range(10)])
            times.append(time.perf_counter() - start)
        await _openai_close(session)
        return times

    async def cleanup(self) -> None:
        if self.storage == "postgres":
            import asyncpg

            conn = await asyncpg.connect(PG_URL)
            await conn.execute(f'DROP TABLE IF EXISTS "{self.tag}_messages", "{self.tag}_sessions"')
            await conn.close()
        elif self.storage == "redis":
            import redis.asyncio as redis

            client = redis.from_url(REDIS_URL)
            async for key in client.scan_iter(match=f"{self.tag}*", count=1000):
                await client.delete(key)
            await client.aclose()


async def _openai_close(session: Any) -> None:
    close = getattr(session, "close", None)
    if close is None:
        return
    result = close()
    if asyncio.iscoroutine(result):
        await result


# ====================================================================== LangGraph side


class LangGraphSide:
    def __init__(self, storage: str, workdir: Path, tag: str) -> None:
        self.storage, self.workdir, self.tag = storage, workdir, tag

    def saver(self) -> Any:
        if self.storage == "sqlite":
            from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

            return AsyncSqliteSaver.from_conn_string(str(self.workdir / "langgraph.db"))
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        return AsyncPostgresSaver.from_conn_string(f"{PG_URL}?options=-csearch_path%3D{self.tag}")

    @staticmethod
    def graph(checkpointer: Any) -> Any:
        from langchain_core.messages import AIMessage
        from langgraph.graph import START, StateGraph

        State = message_state()

        def ten(state: Any) -> dict[str, Any]:
            return {"messages": [AIMessage(f"event {i}") for i in range(10)]}

        builder = StateGraph(State)
        builder.add_node("ten", ten)
        builder.add_edge(START, "ten")
        return builder.compile(checkpointer=checkpointer)

    async def prepare(self, saver: Any) -> None:
        await saver.setup()

    async def fill(self, n: int) -> None:
        from langchain_core.messages import AIMessage
        from langgraph.graph import START, StateGraph

        builder = StateGraph(message_state())
        builder.add_node("noop", lambda state: {})
        builder.add_edge(START, "noop")
        if self.storage == "postgres":
            await _create_schema(self.tag)
        async with self.saver() as saver:
            await self.prepare(saver)
            graph = builder.compile(checkpointer=saver)
            messages = [AIMessage(f"step {i}") for i in range(n)]
            await graph.ainvoke({"messages": messages}, {"configurable": {"thread_id": "big"}})

    async def read(self) -> dict[str, float]:
        async with self.saver() as saver:
            graph = self.graph(saver)
            config = {"configurable": {"thread_id": "big"}}

            async def load(last: int | None = None) -> None:
                state = await graph.aget_state(config)
                messages = state.values["messages"]
                for message in messages[-last:] if last else messages:
                    _ = message.content

            return await read_figures(load, lambda: load(10))

    async def turns(self, n: int) -> list[float]:
        from langchain_core.messages import HumanMessage

        async with self.saver() as saver:
            await self.prepare(saver)
            graph = self.graph(saver)
            config = {"configurable": {"thread_id": "run"}}
            times = []
            for _ in range(n):
                start = time.perf_counter()
                await graph.ainvoke({"messages": [HumanMessage("go")]}, config)
                times.append(time.perf_counter() - start)
        return times

    async def concurrent(self, sessions: int, turns: int) -> float:
        from langchain_core.messages import HumanMessage

        async with self.saver() as saver:
            await self.prepare(saver)
            graph = self.graph(saver)

            async def one(s: int) -> None:
                for _ in range(turns):
                    config = {"configurable": {"thread_id": f"c{s}"}}
                    await graph.ainvoke({"messages": [HumanMessage("go")]}, config)

            start = time.perf_counter()
            await asyncio.gather(*(one(s) for s in range(sessions)))
            elapsed = time.perf_counter() - start
        return sessions * turns * 11 / elapsed

    async def cleanup(self) -> None:
        if self.storage == "postgres":
            await _drop_schema(self.tag)


def message_state() -> Any:
    """LangGraph's usual chat state: a message list merged by ``add_messages``."""
    from typing import Annotated, TypedDict

    from langgraph.graph.message import add_messages

    return TypedDict("State", {"messages": Annotated[list, add_messages]})


async def _create_schema(name: str) -> None:
    conn = await _pg_connect()
    await _pg_execute(conn, f'CREATE SCHEMA IF NOT EXISTS "{name}"')
    await _pg_close(conn)


async def _drop_schema(name: str) -> None:
    conn = await _pg_connect()
    await _pg_execute(conn, f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    await _pg_close(conn)


async def _pg_connect() -> Any:
    try:
        import asyncpg

        return await asyncpg.connect(PG_URL)
    except ImportError:
        import psycopg

        return await psycopg.AsyncConnection.connect(PG_URL, autocommit=True)


async def _pg_execute(conn: Any, sql: str) -> None:
    await conn.execute(sql)


async def _pg_close(conn: Any) -> None:
    await conn.close()


SIDE_CLASSES = {
    "runners-core": RunnersSide,
    "adk-2.13": AdkSide,
    "openai-agents": OpenAISide,
    "langgraph": LangGraphSide,
}


# ====================================================================== one measurement


async def measure(side: str, job: str, args: argparse.Namespace) -> dict[str, Any]:
    """Runs inside the side's interpreter; returns the figures of one job."""
    kind, storage = job.split(":")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        tag = args.tag or unique("bench")
        impl = SIDE_CLASSES[side](storage, workdir, tag)
        try:
            if kind == "w1":
                return {"append_per_s": await impl.append(args.events)}
            if kind == "fill":
                if side == "langgraph":
                    await impl.fill(args.events)
                else:
                    await impl.append(args.events)
                return {}
            if kind == "read":
                figures = await impl.read()
                figures["peak_rss_mb"] = peak_rss_mb()
                return figures
            if kind == "w2":
                # Fill here, read in a fresh process (cold means nothing decoded yet).
                sub = ["--workdir", str(workdir), "--tag", tag]
                child(side, f"fill:{storage}", args, sub, keep=True)
                return child(side, f"read:{storage}", args, sub, keep=True)
            if kind == "w3":
                per_turn = await impl.turns(args.turns)
                return {
                    "events_per_s": len(per_turn) * 11 / sum(per_turn),
                    "quarters_ms": quarters(per_turn),
                }
            if kind == "w4":
                return {"events_per_s": await impl.concurrent(args.sessions, args.session_turns)}
            if kind == "prep":  # creates tables before processes race to do it
                await impl.append(2, session_id="prep")
                return {}
            if kind == "pg8child":
                start_at = float(args.start_at)
                await asyncio.sleep(max(0.0, start_at - time.time()))
                rate = await impl.append(args.proc_events, session_id=f"p{os.getpid()}")
                end = time.time()
                return {"append_per_s": rate, "start": end - args.proc_events / rate, "end": end}
            if kind == "pg8":
                if side == "adk-2.13":
                    await _create_schema(tag)
                return await eight_processes(side, storage, args, tag)
            if kind == "long":
                # Turns on one session in this fresh process, then more in another fresh
                # process at the end (a multi-worker deployment's first load).
                per_turn = await impl.turns(args.long_turns)
                # The first 1% are warm-up (first use builds the models' validators).
                warmup = max(3, len(per_turn) // 100)
                bands = quarters(per_turn, 10, warmup)
                cpu_bands = quarters(impl.cpu_times, 10, warmup)
                sub = ["--workdir", str(workdir), "--tag", tag]
                fresh = child(side, f"longfresh:{storage}", args, sub, keep=True)
                # The same in a fresh process on a new, empty session of the same store:
                # what a fresh process costs at no history (building validators,
                # connecting), so the ratio isolates what the history adds.
                short = child(side, f"longfreshshort:{storage}", args, sub, keep=True)
                return {
                    "bands_ms": bands,
                    "cpu_bands_ms": cpu_bands,
                    "last_over_first": bands[-1] / bands[0],
                    "cpu_last_over_first": cpu_bands[-1] / cpu_bands[0],
                    "fresh_first_turn_ms": fresh["first_turn_ms"],
                    "fresh_turn_cpu_ms": fresh["turn_cpu_ms"],
                    "fresh_over_first_band_cpu": fresh["turn_cpu_ms"] / cpu_bands[0],
                    "fresh_empty_turn_cpu_ms": short["turn_cpu_ms"],
                    "fresh_over_fresh_empty_cpu": fresh["turn_cpu_ms"] / short["turn_cpu_ms"],
                    "events": fresh["events"],
                }
            if kind == "longfresh":
                return await impl.more_turns(20)
            if kind == "longfreshshort":
                return await impl.more_turns(20, session_id="short")
            raise SystemExit(f"unknown job {job}")
        finally:
            if kind in ("w1", "w2", "w3", "w4", "pg8", "long") and not args.keep:
                await impl.cleanup()


async def eight_processes(side: str, storage: str, args: argparse.Namespace, tag: str) -> dict:
    child(side, f"prep:{storage}", args, ["--tag", tag], keep=True)
    start_at = time.time() + 3.0  # every process is up and connected before this
    sub = ["--tag", tag, "--start-at", str(start_at)]
    loop = asyncio.get_running_loop()
    results = await asyncio.gather(
        *(
            loop.run_in_executor(None, child, side, f"pg8child:{storage}", args, sub, True)
            for _ in range(args.procs)
        )
    )
    # From the first append of any process to the last append of all of them.
    span = max(r["end"] for r in results) - min(r["start"] for r in results)
    return {"events_per_s": args.procs * args.proc_events / span}


def child(
    side: str, job: str, args: argparse.Namespace, extra: list[str], keep: bool = False
) -> dict[str, Any]:
    """Run one job in a fresh process of *side*'s interpreter; its JSON result."""
    command = [str(SIDES[side]), str(HERE), "--side", side, "--job", job, *sizes(args), *extra]
    if keep:
        command.append("--keep")
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"{side} {job} failed:\n{done.stderr[-2500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sizes(args: argparse.Namespace) -> list[str]:
    return [
        f"--events={args.events}",
        f"--turns={args.turns}",
        f"--sessions={args.sessions}",
        f"--session-turns={args.session_turns}",
        f"--procs={args.procs}",
        f"--proc-events={args.proc_events}",
        f"--long-turns={args.long_turns}",
    ]


# ====================================================================== driver


def import_times(repeats: int) -> dict[str, float]:
    """Median wall ms of each side's runner import minus a bare interpreter, interleaved.

    Bytecode may be written and one warm-up run of each statement comes first, so
    every side imports from compiled bytecode as an installed package does (with
    ``PYTHONDONTWRITEBYTECODE`` set, an editable checkout would compile its sources on
    every run while the peers' installed packages would not).
    """
    samples: dict[str, list[float]] = {side: [] for side in SIDES}
    bare: dict[str, list[float]] = {side: [] for side in SIDES}
    pydantic: list[float] = []
    available = [s for s, p in SIDES.items() if p.exists()]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for side in available:
        subprocess.run([str(SIDES[side]), "-c", IMPORTS[side]], check=True, env=env)
    for _ in range(repeats):
        for side in available:
            for code, into in (("pass", bare[side]), (IMPORTS[side], samples[side])):
                start = time.perf_counter()
                subprocess.run([str(SIDES[side]), "-c", code], check=True, env=env)
                into.append(time.perf_counter() - start)
            if side == "runners-core":
                start = time.perf_counter()
                subprocess.run(
                    [str(SIDES[side]), "-c", "from pydantic import BaseModel"], check=True, env=env
                )
                pydantic.append(time.perf_counter() - start)
    out = {
        side: (statistics.median(samples[side]) - statistics.median(bare[side])) * 1000
        for side in available
    }
    if pydantic:
        out["pydantic BaseModel"] = (
            statistics.median(pydantic) - statistics.median(bare["runners-core"])
        ) * 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--session-turns", type=int, default=10)
    parser.add_argument("--procs", type=int, default=8)
    parser.add_argument("--proc-events", type=int, default=200)
    parser.add_argument("--long-turns", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--only", default="", help="comma-separated job kinds: w1,w2,w3,w4,pg8,import"
    )
    parser.add_argument(
        "--storage", default="", help="comma-separated storages to run: sqlite,postgres,redis"
    )
    parser.add_argument("--long", action="store_true", help="also the long-session run")
    parser.add_argument("--full", action="store_true", help="the issue's sizes")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--tag", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(asyncio.run(measure(args.side, args.job, args))))
        return
    if args.full:
        args.events, args.turns, args.sessions, args.session_turns = 10_000, 200, 50, 20
        args.proc_events, args.long_turns = 1000, 3000
    only = set(filter(None, args.only.split(",")))
    storages = set(filter(None, args.storage.split(",")))
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for job, sides in JOBS.items():
        if only and job.split(":")[0] not in only:
            continue
        if storages and job.split(":")[1] not in storages:
            continue
        present = [s for s in sides if SIDES[s].exists()]
        for missing in set(sides) - set(present):
            print(f"({missing} skipped for {job}: {SIDES[missing]} not found)", file=sys.stderr)
        for _ in range(args.repeats):
            for side in present:  # alternate: A B C, A B C, ...
                try:
                    figures = child(side, job, args, [])
                except RuntimeError as exc:
                    print(f"({exc})", file=sys.stderr)
                    continue
                results.setdefault(job, {}).setdefault(side, []).append(figures)
                print(f"{job:14} {side:14} {fmt(figures)}", file=sys.stderr, flush=True)
    if args.long:
        for storage in ("sqlite", "postgres", "redis"):
            if storages and storage not in storages:
                continue
            figures = child("runners-core", f"long:{storage}", args, [])
            results.setdefault(f"long:{storage}", {})["runners-core"] = [figures]
            print(f"long:{storage:9} runners-core   {fmt(figures)}", file=sys.stderr, flush=True)
    imports = import_times(max(3, args.repeats * 2)) if not only or "import" in only else {}
    if args.json:
        print(json.dumps({"results": results, "import_ms": imports}))
        return
    report(results, imports)


def fmt(figures: dict[str, Any]) -> str:
    parts = []
    for key, value in figures.items():
        if key in ("start", "end"):
            continue
        if isinstance(value, list):
            parts.append(f"{key}=" + "/".join(f"{v:.2f}" for v in value))
        else:
            parts.append(f"{key}={value:,.2f}")
    return " ".join(parts)


def report(results: dict[str, dict[str, list[dict[str, Any]]]], imports: dict[str, float]) -> None:
    print(
        "\nMedians over the repeats; ratio = peer / runners-core for times, runners-core / peer"
        " for rates (above 1: runners-core is better)."
    )
    for job, by_side in results.items():
        ours = by_side.get("runners-core")
        print(f"\n{job}")
        for side, runs in by_side.items():
            keys = [k for k in runs[0] if k not in ("start", "end")]
            cells = []
            for key in keys:
                values = [r[key] for r in runs]
                if isinstance(values[0], list):
                    columns = list(zip(*values, strict=False))
                    median = [statistics.median(c) for c in columns]
                    cells.append(f"{key} " + "/".join(f"{v:.2f}" for v in median))
                    continue
                median = statistics.median(values)
                cell = f"{key} {median:,.2f}"
                if ours and side != "runners-core" and key in ours[0]:
                    mine = statistics.median(r[key] for r in ours)
                    better = mine / median if key.endswith("per_s") else median / mine
                    if not key.endswith("rss_mb"):
                        cell += f" ({better:.1f}x)"
                cells.append(cell)
            print(f"  {side:14} " + "; ".join(cells))
    if imports:
        print("\nimport, ms of wall time over a bare interpreter (medians):")
        for side, value in imports.items():
            print(f"  {side:20} {value:7.0f}")
        if "pydantic BaseModel" in imports:
            ratio = imports["runners-core"] / imports["pydantic BaseModel"]
            print(f"  runners-core / pydantic: {ratio:.2f}x")


if __name__ == "__main__":
    main()
