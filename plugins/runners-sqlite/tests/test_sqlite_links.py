"""One database under two names shares one run lock (issue 11, item 5).

Locks follow the file, not the spelling of its path: a symbolic link (to the file
or to a directory above it) leads to the same in-process lock and the same lock
files. A hard link cannot be made safe (SQLite finds its write-ahead log by name),
so a database with several hard links is refused when it is opened.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path

import pytest
from runners_sqlite import SqliteSessionService
from runners_sqlite.run_lock import shared_run_locks

from runners_core import BaseAgent, Content, Event, EventActions, InvocationContext, Runner
from runners_core.errors import ConfigError, SessionBusyError

HOLDER = Path(__file__).resolve().parent / "sqlite_lock_holder.py"
SESSION = ("app", "u", "s")


class _SlowCounter(BaseAgent):
    """Read-modify-write of a counter with a pause in between (where runs could interleave)."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        seen = ctx.session.state.get("counter", 0)
        for _ in range(3):
            await asyncio.sleep(0)
        yield Event(
            author=self.name,
            invocation_id=ctx.invocation_id,
            actions=EventActions(state_delta={"counter": seen + 1}),
        )


@pytest.fixture
def real(tmp_path: Path) -> Path:
    return tmp_path / "real" / "sessions.db"


async def _create(path: Path) -> None:
    service = SqliteSessionService(path)
    try:
        await service.create_session(app_name="app", user_id="u", session_id="s")
    finally:
        await service.close()


@pytest.mark.parametrize("link", ["file", "directory"])
async def test_runs_through_a_symlink_are_serialised(real: Path, tmp_path: Path, link: str) -> None:
    await _create(real)
    if link == "file":
        other = tmp_path / "other.db"
        other.symlink_to(real)
    else:
        (tmp_path / "alias").symlink_to(real.parent, target_is_directory=True)
        other = tmp_path / "alias" / real.name
    first, second = SqliteSessionService(real), SqliteSessionService(other)
    try:
        # One lock for the file, in this process and in lock files beside the real file.
        assert first._run_locks is second._run_locks is shared_run_locks(real)
        assert first._locks.directory == second._locks.directory
        assert first._locks.directory == real.with_name("sessions.db-locks")

        # A waiter through the other name is blocked, queued on the same lock.
        async with first.lock_session(app_name="app", user_id="u", session_id="s"):
            waiter = asyncio.create_task(_hold(second))
            while first._run_locks.waiting(SESSION) == 0:
                assert not waiter.done(), "entered a session held under another name"
                await asyncio.sleep(0)
            assert not waiter.done()
        await asyncio.wait_for(waiter, timeout=30)

        # The counter of issue 11: 2 runners x 30 concurrent invocations, none lost.
        agent = _SlowCounter(name="counter")
        runners = [Runner(app_name="app", agent=agent, session_service=s) for s in (first, second)]

        async def invoke(runner: Runner) -> None:
            async for _event in runner.run_async(
                user_id="u", session_id="s", new_message=Content.from_text("+1")
            ):
                pass

        await asyncio.gather(*(invoke(runners[i % 2]) for i in range(60)))
        stored = await first.get_session(app_name="app", user_id="u", session_id="s")
        assert stored is not None and stored.state["counter"] == 60
    finally:
        await first.close()
        await second.close()


async def _hold(service: SqliteSessionService) -> None:
    async with service.lock_session(app_name="app", user_id="u", session_id="s"):
        pass


@pytest.fixture
def holder_by_link(real: Path, tmp_path: Path) -> Iterator[None]:
    """Another process holding the session's run lock through a symlink to *real*."""
    other = tmp_path / "other.db"
    other.symlink_to(real)
    proc = subprocess.Popen(
        [sys.executable, str(HOLDER), f"sqlite:///{other}", *SESSION],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield
    finally:
        proc.kill()
        proc.communicate()


async def test_another_process_holding_the_file_by_another_name_makes_us_busy(
    real: Path, holder_by_link: None
) -> None:
    service = SqliteSessionService(real)
    try:
        with pytest.raises(SessionBusyError, match="in another process"):
            async with service.lock_session(app_name="app", user_id="u", session_id="s", timeout=0):
                pass
    finally:
        await service.close()


async def test_a_database_with_several_hard_links_is_refused(real: Path, tmp_path: Path) -> None:
    await _create(real)
    linked = tmp_path / "linked.db"
    os.link(real, linked)
    for name in (real, linked):
        service = SqliteSessionService(name)
        try:
            with pytest.raises(ConfigError, match="2 hard links") as refused:
                await service.get_session(app_name="app", user_id="u", session_id="s")
        finally:
            await service.close()
        assert str(name) in str(refused.value) and "ln -s" in str(refused.value)
    linked.unlink()  # one name again: usable, with nothing lost
    service = SqliteSessionService(real)
    try:
        assert await service.get_session(app_name="app", user_id="u", session_id="s")
    finally:
        await service.close()
