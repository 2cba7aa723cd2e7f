"""Run serialisation across processes: flock lock files, released by the OS when a holder dies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from runners_sqlite import SqliteSessionService

from runners_core.errors import SessionBusyError

HOLDER = Path(__file__).resolve().parent / "sqlite_lock_holder.py"
KEY = {"app_name": "app", "user_id": "u", "session_id": "s"}


@pytest.fixture
def holder(db_url: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the session's run lock (kill it to let go)."""
    proc = subprocess.Popen(
        [sys.executable, str(HOLDER), db_url, *KEY.values()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "held":
        proc.kill()
        raise AssertionError(f"lock holder did not start: {line!r} {proc.stderr.read()}")
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()


def flock_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "runners-sqlite-lock"}


async def blocked_in_flock(before: set[threading.Thread], timeout: float = 30) -> None:
    """Return once a new waiter thread is blocked in ``flock``: the lock code starts one
    only after a non-blocking attempt found the file locked."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (flock_threads() - before):
        assert asyncio.get_running_loop().time() < deadline, "no waiter ever blocked"
        await asyncio.sleep(0.005)


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


async def test_another_process_holding_the_session_makes_us_busy(
    sessions: SqliteSessionService, holder: subprocess.Popen[str], db_path: Path
) -> None:
    for timeout in (0, 0.2):  # not waiting at all, and waiting in vain
        with pytest.raises(SessionBusyError) as caught:
            async with sessions.lock_session(**KEY, timeout=timeout):
                pass
        message = str(caught.value)
        assert "another invocation in another process" in message
        assert str(db_path.name) + "-locks" in message and "busy_timeout" in message


async def test_a_killed_holder_releases_the_session(
    sessions: SqliteSessionService, holder: subprocess.Popen[str], db_path: Path
) -> None:
    entered = asyncio.Event()

    async def wait_for_it() -> None:
        async with sessions.lock_session(**KEY, timeout=60):
            entered.set()

    before = flock_threads()
    waiter = asyncio.create_task(wait_for_it())
    await blocked_in_flock(before)
    assert not entered.is_set(), "the lock was granted while another process held it"
    kill(holder)  # SIGKILL: no cleanup runs in the holder
    await waiter
    assert entered.is_set()
    lock_dir = db_path.with_name(db_path.name + "-locks")
    assert list(lock_dir.iterdir()) == [], "a released lock must not leave its file behind"


async def test_a_cancelled_wait_does_not_keep_the_lock(
    sessions: SqliteSessionService, holder: subprocess.Popen[str]
) -> None:
    async def wait_forever() -> None:
        async with sessions.lock_session(**KEY):
            raise AssertionError("must not get the lock while the holder lives")

    before = flock_threads()
    waiter = asyncio.create_task(wait_forever())
    await blocked_in_flock(before)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    kill(holder)
    # The abandoned waiting thread gets the lock when the holder dies and lets go of it.
    async with sessions.lock_session(**KEY, timeout=30):
        pass


async def test_two_services_in_one_process_exclude_each_other(db_url: str) -> None:
    first, second = SqliteSessionService(db_url), SqliteSessionService(db_url)
    try:
        async with first.lock_session(**KEY):
            with pytest.raises(SessionBusyError):
                async with second.lock_session(**KEY, timeout=0):
                    pass
            other_session = {**KEY, "session_id": "other"}
            async with second.lock_session(**other_session, timeout=0):
                pass  # other sessions are not affected
        async with second.lock_session(**KEY, timeout=0):
            pass
    finally:
        await first.close()
        await second.close()
