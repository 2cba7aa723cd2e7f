"""Cross-process safety: several OS processes share one session without losing anything.

Runs only against services claiming ``"cross_process_lock"`` whose suite defines a
``service_url`` fixture (a URL a child process can open). Each child opens the
service with ``session_service_from_url`` in a fresh interpreter.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from runners_core.capabilities import Capability
from runners_core.sessions.base import BaseSessionService
from runners_core.sessions.session import Session
from runners_core.testing.contract import UNTESTABLE
from runners_core.testing.sessions.suite import SessionSuite, ids, key_of

CAPABILITY = Capability.CROSS_PROCESS_LOCK

PROCESSES = 4
EVENTS_PER_PROCESS = 25
LOCK_ROUNDS = 5


async def _run_workers(
    action: str, url: str, session: Session, workdir: Path, **job: Any
) -> list[dict[str, Any]]:
    """Run PROCESSES workers doing *action* on *session* together; their JSON results."""
    barrier = workdir / f"barrier-{action}"
    barrier.mkdir()
    jobs = [
        {
            **job,
            "action": action,
            "url": url,
            "key": key_of(session),
            "worker": n,
            "barrier": str(barrier),
            "parties": PROCESSES,
        }
        for n in range(PROCESSES)
    ]

    async def one(job: dict[str, Any]) -> dict[str, Any]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "runners_core.testing.sessions.cross_process_worker",
            json.dumps(job),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        if proc.returncode != 0:
            raise AssertionError(
                f"cross-process: worker {job['worker']} failed (exit {proc.returncode}):\n"
                + err.decode(errors="replace")[-3000:]
            )
        return json.loads(out.decode().strip().splitlines()[-1])

    return list(await asyncio.gather(*(one(job) for job in jobs)))


class CrossProcess(SessionSuite):
    @pytest.fixture
    def shared_url(self, service_url: str | None) -> str:
        if not service_url:
            pytest.skip(
                f"{UNTESTABLE}cross_process_lock (the service claims it, but the suite has no "
                "service_url fixture a child process could open)"
            )
        return service_url

    async def test_processes_appending_to_one_session_lose_and_duplicate_nothing(
        self, service: BaseSessionService, shared_url: str, tmp_path: Path
    ) -> None:
        session = await self.new_session(service)
        results = await _run_workers(
            "append", shared_url, session, tmp_path, count=EVENTS_PER_PROCESS
        )
        stored = ids(await self.reload(service, session))
        expected = {eid for r in results for eid in r["appended"]} | {"shared"}
        duplicated = sorted({e for e in stored if stored.count(e) > 1})
        assert not duplicated, (
            f"cross-process appends: events stored more than once (idempotent append across "
            f"processes): {duplicated}"
        )
        missing = sorted(expected - set(stored))
        assert not missing, (
            f"cross-process appends: {len(missing)} events acknowledged by other processes "
            f"were lost: {missing[:10]}"
        )
        state = (await self.reload(service, session)).state
        wrong = [n for n in range(PROCESSES) if state.get(f"w{n}") != EVENTS_PER_PROCESS - 1]
        assert not wrong, (
            f"cross-process appends: state written by processes {wrong} was lost or re-applied"
        )
        for n in range(PROCESSES):
            own = [e for e in stored if e.startswith(f"w{n}-")]
            assert own == [f"w{n}-{i}" for i in range(EVENTS_PER_PROCESS)], (
                f"cross-process appends: process {n}'s events are not in its append order"
            )

    async def test_lock_session_excludes_other_processes(
        self, service: BaseSessionService, shared_url: str, tmp_path: Path
    ) -> None:
        session = await self.new_session(service)
        results = await _run_workers("lock", shared_url, session, tmp_path, rounds=LOCK_ROUNDS)
        spans = sorted((start, end, n) for n, r in enumerate(results) for start, end in r["spans"])
        overlaps = [(a[2], b[2]) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
        assert not overlaps, (
            f"cross-process run lock: runs held under lock_session in different processes "
            f"overlapped {len(overlaps)} times (process pairs {overlaps[:5]})"
        )
        count = (await self.reload(service, session)).state.get("count")
        assert count == PROCESSES * LOCK_ROUNDS, (
            f"cross-process run lock: {PROCESSES * LOCK_ROUNDS} read-modify-write runs under "
            f"lock_session left count={count}; updates were lost"
        )

    async def test_processes_on_sessions_of_one_user_lose_no_atomic_update(
        self, service: BaseSessionService, shared_url: str, tmp_path: Path
    ) -> None:
        first = await self.new_session(service)
        sessions = [first] + [
            await self.new_session(service, app_name=first.app_name, user_id=first.user_id)
            for _ in range(PROCESSES - 1)
        ]
        keys = [key_of(s) for s in sessions]
        await _run_workers("ops", shared_url, first, tmp_path, count=EVENTS_PER_PROCESS, keys=keys)
        state = (await self.reload(service, first)).state
        total = PROCESSES * EVENTS_PER_PROCESS
        got = (state.get("user:counter"), state.get("app:counter"))
        assert got == (total, total), (
            f"cross-process atomic state: {PROCESSES} processes made {total} increments each of "
            f"user:counter and app:counter from different sessions; {got} survived"
        )
        members = sorted(state.get("user:members") or [])
        assert members == sorted(
            f"{n}-{i}" for n in range(PROCESSES) for i in range(EVENTS_PER_PROCESS)
        ), f"cross-process atomic state: 'add' lost items ({len(members)} of {total})"
