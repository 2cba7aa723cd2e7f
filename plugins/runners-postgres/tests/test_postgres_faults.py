"""Connection faults: a server restart mid-run, lost lock connections, dead lock holders.

The restart tests restart a PostgreSQL server of their own (``private_pg``: its own data
directory and port, stopped afterwards), never the shared one other test runs use.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from runners_postgres import (
    PostgresArtifactService,
    PostgresMemoryService,
    PostgresSessionService,
)

from runners_core import (
    BaseAgent,
    Content,
    Event,
    InvocationContext,
    Part,
    Runner,
)
from runners_core.errors import RetryableBackendError, SessionBusyError

SECRET = "hunter2"
CLUSTERS = Path("/etc/postgresql")


@pytest.fixture
def private_url(private_pg: Any) -> str:
    """A service URL on a fresh schema of this module's own server."""
    return f"{private_pg.url}?schema=rpt_faults_{secrets.token_hex(4)}"


@pytest.fixture
def restart(private_pg: Any) -> Iterator[Callable[[], None]]:
    """A function restarting the private server; it is up again after the test regardless."""
    try:
        yield private_pg.restart
    finally:
        if not private_pg.ready():
            private_pg.start()


class PausingAgent(BaseAgent):
    """Yields 'before', waits for the test to open the gate, then yields 'after'."""

    model_config = {"arbitrary_types_allowed": True}
    gate: threading.Event

    async def _run_async_impl(self, ctx: InvocationContext):  # type: ignore[override]
        ctx.state["steps"] = ctx.state.get("steps", 0) + 1
        yield ctx.event("before")
        await asyncio.to_thread(self.gate.wait, 60)
        yield ctx.event("after")


def test_restart_mid_run_fails_that_run_retryably_and_the_next_run_succeeds(
    private_url: str, restart: Callable[[], None]
) -> None:
    url = private_url.replace("postgres@", f"postgres:{SECRET}@", 1)
    service = PostgresSessionService(url)
    gate = threading.Event()
    runner = Runner(
        app_name="faults",
        agent=PausingAgent(name="pauser", gate=gate),
        session_service=service,
        auto_create_session=True,
        plugins=(),
    )
    acknowledged: list[Event] = []
    try:
        with pytest.raises(RetryableBackendError) as info:
            for event in runner.run(
                user_id="u", session_id="s", new_message=Content.from_text("first")
            ):
                acknowledged.append(event)
                if len(acknowledged) == 1:
                    restart()
                    gate.set()
        assert [e.content.text for e in acknowledged if e.content] == ["before"]
        message = str(info.value)
        assert "lost the connection to PostgreSQL" in message and "retry" in message
        assert "postgres:***@" in message and SECRET not in message

        second = list(
            runner.run(user_id="u", session_id="s", new_message=Content.from_text("second"))
        )
        assert [e.content.text for e in second if e.content] == ["before", "after"]
        acknowledged += second

        stored = asyncio.run(service.get_session(app_name="faults", user_id="u", session_id="s"))
        assert stored is not None
        stored_ids = [e.id for e in stored.events]
        assert all(e.id in stored_ids for e in acknowledged), "an acknowledged event was lost"
        texts = [e.content.text for e in stored.events if e.content]
        # The failed run's user message and first event were stored; its last was not.
        assert texts == ["first", "before", "second", "before", "after"]
        assert stored.state["steps"] == 2
    finally:
        gate.set()
        asyncio.run(service.close())
        asyncio.run(runner.close())


async def test_every_service_works_again_after_a_restart(
    private_url: str, restart: Callable[[], None]
) -> None:
    sessions = PostgresSessionService(private_url)
    memory = PostgresMemoryService(private_url)
    artifacts = PostgresArtifactService(private_url)
    try:
        session = await sessions.create_session(app_name="a", user_id="u", session_id="s")
        await memory.add_memory(app_name="a", user_id="u", memories=[])
        await artifacts.save_artifact(
            app_name="a", user_id="u", filename="f", artifact=Part(text="v0")
        )

        await asyncio.to_thread(restart)

        # The pools hold connections the restart killed; each call must get a live one.
        event = Event(author="user", content=Content.from_text("after the restart"))
        await sessions.append_event(session, event)
        loaded = await sessions.get_session(app_name="a", user_id="u", session_id="s")
        assert loaded is not None and [e.id for e in loaded.events] == [event.id]
        await memory.add_session_to_memory(loaded)
        found = await memory.search_memory(app_name="a", user_id="u", query="restart")
        assert [m.id for m in found.memories] == [event.id]
        version = await artifacts.save_artifact(
            app_name="a", user_id="u", filename="f", artifact=Part(text="v1")
        )
        assert version == 1
    finally:
        await sessions.close()
        await memory.close()
        await artifacts.close()


async def test_losing_the_lock_connection_stops_the_runs_writes(
    private_url: str, private_pg: Any
) -> None:
    # On the private server: killing every advisory-lock holder on the shared one
    # would cut other test runs' locks.
    service = PostgresSessionService(private_url)
    admin = await psycopg.AsyncConnection.connect(private_pg.url, autocommit=True)
    try:
        session = await service.create_session(app_name="a", user_id="u", session_id="s")
        async with service.lock_session(app_name="a", user_id="u", session_id="s"):
            first = Event(author="agent", invocation_id="i1")
            await service.append_event(session, first)
            # Kill the lock's connection (as a network cut or a server-side kill would).
            cursor = await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
            )
            killed = await cursor.fetchall()
            assert killed, "the advisory lock was not held on the server"
            with pytest.raises(RetryableBackendError, match="session lock's connection"):
                await service.append_event(session, Event(author="agent", invocation_id="i1"))
        loaded = await service.get_session(app_name="a", user_id="u", session_id="s")
        assert loaded is not None and [e.id for e in loaded.events] == [first.id]
        # The lock went with the connection: the session can be locked again at once.
        async with service.lock_session(app_name="a", user_id="u", session_id="s", timeout=5):
            pass
    finally:
        await admin.close()
        await service.close()


HOLDER = """
import asyncio, sys, time
from runners_postgres import PostgresSessionService

async def main():
    service = PostgresSessionService(sys.argv[1])
    async with service.lock_session(app_name="a", user_id="u", session_id="s"):
        print("locked", flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


async def test_a_killed_process_releases_its_session_lock(pg_url: str) -> None:
    service = PostgresSessionService(pg_url)
    await service.create_session(app_name="a", user_id="u", session_id="s")
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, pg_url, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert holder.stdout is not None
        assert (await holder.stdout.readline()).decode().strip() == "locked"
        with pytest.raises(SessionBusyError, match="another process"):
            async with service.lock_session(app_name="a", user_id="u", session_id="s", timeout=0):
                pass
        holder.send_signal(signal.SIGKILL)
        await asyncio.wait_for(holder.wait(), 30)
        # No cleanup ran in the dead process; the server frees the lock with its connection.
        async with service.lock_session(app_name="a", user_id="u", session_id="s", timeout=30):
            pass
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
        await service.close()


async def test_a_server_out_of_connection_slots_is_named_as_such(
    private_url: str, private_pg: Any
) -> None:
    admin = await psycopg.AsyncConnection.connect(private_pg.url, autocommit=True)
    await admin.execute("ALTER SYSTEM SET max_connections = 5")
    await admin.close()
    await asyncio.to_thread(private_pg.restart)
    holders: list[psycopg.AsyncConnection] = []
    service = PostgresSessionService(private_url.replace("postgres@", f"postgres:{SECRET}@"))
    try:
        while True:  # take every slot (superusers may use the reserved ones too)
            try:
                holders.append(await psycopg.AsyncConnection.connect(private_pg.url))
            except psycopg.OperationalError:
                break
        assert holders, "no connection could be opened at all"
        with pytest.raises(RetryableBackendError) as info:
            await service.create_session(app_name="a", user_id="u")
        message = str(info.value)
        assert "too many clients" in message and "max_connections" in message
        assert SECRET not in message
    finally:
        for conn in holders:
            await conn.close()
        await service.close()
        # The server frees a closed connection's slot a moment after the client leaves.
        for _ in range(200):
            try:
                admin = await psycopg.AsyncConnection.connect(private_pg.url, autocommit=True)
                break
            except psycopg.OperationalError as exc:
                if "too many clients" not in str(exc):
                    raise
                await asyncio.sleep(0.025)
        else:
            raise AssertionError("no connection slot came free after the holders closed")
        await admin.execute("ALTER SYSTEM RESET max_connections")
        await admin.close()
        await asyncio.to_thread(private_pg.restart)
