"""A service's pool lives on its own loop thread, ends with the service, and nothing hangs.

psycopg_pool's maintenance workers swallow cancellation while they run a job;
``asyncio.run`` cancels every task at exit and waits for all of them, so a
worker caught connecting on the caller's loop used to hang the program there.
The pool's tasks now run on the service's own loop thread (``pool_thread``).
"""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool
from runners_postgres import PostgresSessionService
from runners_postgres.pool_thread import PoolThread

from runners_core import Event

from .test_postgres_sessions import connections, tagged, wait_for_connections

# Generous: these bound a hang, they measure nothing.
HANG_LIMIT = 60.0


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A conninfo for a local port that accepts TCP connections and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        yield f"host=127.0.0.1 port={port} user=nobody dbname=none sslmode=disable"


def run_in_thread(function: Any) -> None:
    """Run *function* on a daemon thread; fail (instead of hanging the suite) if it never ends."""
    failures: list[BaseException] = []

    def target() -> None:
        try:
            function()
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG_LIMIT)
    assert not thread.is_alive(), f"{function.__name__} never returned"
    if failures:
        raise failures[0]


def test_asyncio_run_ends_while_a_pool_worker_is_still_connecting(silent_server: str) -> None:
    pools: list[AsyncConnectionPool] = []

    def factory() -> AsyncConnectionPool:
        pools.append(AsyncConnectionPool(silent_server, min_size=1, open=False))
        return pools[-1]

    home = PoolThread(factory, open_timeout=HANG_LIMIT, max_kept=1, name="silent")

    async def leave_a_worker_connecting() -> None:
        async def select_one(conn: psycopg.AsyncConnection) -> Any:
            return await conn.execute("SELECT 1")

        with pytest.raises(TimeoutError):  # a worker now waits in the connect handshake
            await asyncio.wait_for(home.run(select_one), 0.2)

    run_in_thread(lambda: asyncio.run(leave_a_worker_connecting()))
    assert pools and pools[0].get_stats()["connections_num"] == 1  # it was connecting
    run_in_thread(lambda: asyncio.run(home.close()))


async def test_the_callers_loop_holds_no_task_of_the_pool(pg_url: str) -> None:
    service = PostgresSessionService(pg_url)
    try:
        session = await service.create_session(app_name="a", user_id="u")
        await service.append_event(session, Event(author="user"))
        assert asyncio.all_tasks() == {asyncio.current_task()}
    finally:
        await service.close()
    with pytest.raises(RuntimeError, match="closed"):
        await service.get_session(app_name="a", user_id="u", session_id=session.id)


def test_a_service_dropped_without_close_closes_its_pool(
    pg_url: str, admin: psycopg.Connection
) -> None:
    url, application = tagged(pg_url)
    loop = asyncio.new_event_loop()
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: errors.append(context))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:

        def use_and_drop() -> None:
            service = PostgresSessionService(url)

            async def append() -> None:
                session = await service.create_session(app_name="a", user_id="u")
                await service.append_event(session, Event(author="user"))

            asyncio.run_coroutine_threadsafe(append(), loop).result(HANG_LIMIT)
            assert connections(admin, application) >= 1

        use_and_drop()
        gc.collect()  # the service is gone; its pool is closed on the pool's own thread

        assert wait_for_connections(admin, application, 0) == 0
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop).result(HANG_LIMIT)
        assert errors == []
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def test_closing_never_touches_an_idle_loop_from_another_thread(
    pg_url: str, admin: psycopg.Connection
) -> None:
    url, application = tagged(pg_url)
    service = PostgresSessionService(url)
    loop = asyncio.new_event_loop()
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: errors.append(context))
    try:
        loop.run_until_complete(service.create_session(app_name="a", user_id="u"))
        # The loop is idle now (neither running nor closed): its pool is left to it.
        run_in_thread(lambda: asyncio.run(service.close()))

        async def settle() -> None:
            await asyncio.sleep(0)  # the hand-over runs first
            await asyncio.gather(*asyncio.all_tasks() - {asyncio.current_task()})

        loop.run_until_complete(settle())  # the pool closes here, on its own loop
        assert wait_for_connections(admin, application, 0) == 0
        assert errors == []
    finally:
        loop.close()


def _pool_on(url: str, max_kept: int) -> PoolThread:
    return PoolThread(
        lambda: AsyncConnectionPool(url, kwargs={"autocommit": True}, max_size=4, open=False),
        open_timeout=HANG_LIMIT,
        max_kept=max_kept,
        name="concurrent",
    )


async def test_concurrent_statements_of_one_loop_run_on_its_kept_connections(
    pg_server: str,
) -> None:
    pool = _pool_on(pg_server, max_kept=2)
    seen: list[tuple[int, str]] = []

    async def sleep_briefly(conn: psycopg.AsyncConnection) -> None:
        seen.append((conn.info.backend_pid, threading.current_thread().name))
        await conn.execute("SELECT pg_sleep(0.05)")

    try:
        await asyncio.gather(*(pool.run(sleep_briefly) for _ in range(6)))
    finally:
        await pool.close()
    # Two connections kept by this loop served all six, waiting for each other on this
    # loop: none ran on the pool's own thread.
    assert len({pid for pid, _ in seen}) == 2
    assert {thread for _, thread in seen} == {threading.current_thread().name}


async def test_a_cancelled_waiter_passes_its_connection_on(pg_server: str) -> None:
    pool = _pool_on(pg_server, max_kept=1)
    started = asyncio.Event()

    async def hold(conn: psycopg.AsyncConnection) -> None:
        started.set()
        await conn.execute("SELECT pg_sleep(0.2)")

    async def select_one(conn: psycopg.AsyncConnection) -> int:
        row = await (await conn.execute("SELECT 1")).fetchone()
        return int(row[0]) if row else 0

    try:
        holder = asyncio.ensure_future(pool.run(hold))
        await started.wait()
        cancelled = asyncio.ensure_future(pool.run(select_one))
        waiting = asyncio.ensure_future(pool.run(select_one))
        await asyncio.sleep(0.05)
        cancelled.cancel()
        assert await asyncio.wait_for(waiting, HANG_LIMIT) == 1
        await holder
        assert cancelled.cancelled()
        assert await pool.run(select_one) == 1  # the one kept connection is free again
    finally:
        await pool.close()
