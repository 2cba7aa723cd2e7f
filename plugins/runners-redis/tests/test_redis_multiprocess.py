"""Several OS processes on shared sessions: serialised runs, nothing lost, leases expire."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from runners_redis.sessions import RedisSessionService

from runners_core.errors import SessionBusyError
from runners_core.events import Event

WORKER = str(Path(__file__).with_name("redis_worker.py"))
PROCESSES = 4
INVOCATIONS = 25
SESSIONS = ("shared-1", "shared-2")
APP = "multi"
USER = "worker-user"  # as in redis_worker.py


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["RUNNERS_CORE_PLUGINS"] = ""  # the workers build their services themselves
    return env


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, WORKER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def _check_contiguous(events: list[Event]) -> None:
    positions: dict[str, list[int]] = defaultdict(list)
    for index, event in enumerate(events):
        positions[event.invocation_id].append(index)
    for invocation, where in positions.items():
        assert where == list(range(where[0], where[0] + len(where))), (
            f"invocation {invocation} is interleaved with another: positions {where}"
        )


def _fold(events: list[Event]) -> dict[str, object]:
    state: dict[str, object] = {}
    for event in events:
        state.update(
            (k, v) for k, v in event.actions.state_delta.items() if not k.startswith("app:")
        )
    return state


async def test_processes_share_sessions_without_losing_or_interleaving(
    redis_url: str,
) -> None:
    service = RedisSessionService(redis_url)
    try:
        for session_id in SESSIONS:
            await service.create_session(app_name=APP, user_id=USER, session_id=session_id)
        # Half the workers start on each session, then alternate: 50 invocations each.
        rotations = [SESSIONS, SESSIONS[::-1]]
        workers = [
            _spawn("run", redis_url, APP, f"w{i}", str(INVOCATIONS), *rotations[i % 2])
            for i in range(PROCESSES)
        ]
        for worker in workers:
            _, err = worker.communicate(timeout=300)
            assert worker.returncode == 0, err

        per_session = PROCESSES * INVOCATIONS // len(SESSIONS)
        for session_id in SESSIONS:
            session = await service.get_session(app_name=APP, user_id=USER, session_id=session_id)
            assert session is not None
            events = session.events
            assert len(events) == per_session * 4  # user message + three agent events
            assert len({e.id for e in events}) == len(events)
            assert len({e.invocation_id for e in events}) == per_session
            _check_contiguous(events)
            # Every invocation saw the previous one's count: no lost update anywhere.
            counts = [
                e.actions.state_delta["count"] for e in events if "count" in e.actions.state_delta
            ]
            assert counts == list(range(1, per_session + 1))
            stored = {k: v for k, v in session.state.items() if not k.startswith("app:")}
            assert stored == _fold(events)
            assert session.state["app:touched_by"] in {f"w{i}" for i in range(PROCESSES)}
    finally:
        await service.close()


async def test_lease_of_a_killed_holder_expires(make_url: Callable[..., str]) -> None:
    url = make_url(lease=1)
    holder = _spawn("hold", url, APP, USER, "held")
    service = RedisSessionService(url)
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line.strip() == "LOCKED", holder.stderr.read() if holder.stderr else line
        with pytest.raises(SessionBusyError):
            async with service.lock_session(
                app_name=APP, user_id=USER, session_id="held", timeout=0
            ):
                pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        # The dead process never releases; its lease runs out and we get in.
        async with service.lock_session(app_name=APP, user_id=USER, session_id="held", timeout=60):
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        for stream in (holder.stdout, holder.stderr):
            if stream is not None:
                stream.close()
        await service.close()
