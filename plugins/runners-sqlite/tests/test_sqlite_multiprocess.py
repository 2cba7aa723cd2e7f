"""Many processes, many sessions, all at once: no "database is locked", no lost update.

Google ADK 2.13's SQLite backend fails with "database is locked" under 50 concurrent
sessions. Here 4 processes each run an invocation on every one of 50 sessions at
the same time, for several rounds: every invocation takes the session's run lock,
reads a counter from the state and appends an event that increments it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from runners_sqlite import SqliteSessionService

WORKER = Path(__file__).resolve().parent / "sqlite_busy_worker.py"
PROCESSES, SESSIONS, ROUNDS = 4, 50, 5


async def test_four_processes_on_fifty_sessions(db_url: str, db_path: Path) -> None:
    service = SqliteSessionService(db_url)
    for n in range(SESSIONS):
        await service.create_session(app_name="app", user_id="u", session_id=f"s{n}")

    async def run(worker: int) -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            db_url,
            str(worker),
            str(SESSIONS),
            str(ROUNDS),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, f"worker {worker} failed:\n{err.decode()[-3000:]}"
        return out.decode().strip()

    try:
        outputs = await asyncio.gather(*(run(w) for w in range(PROCESSES)))
        assert outputs == [str(SESSIONS * ROUNDS)] * PROCESSES
        expected = {f"w{w}-r{r}" for w in range(PROCESSES) for r in range(ROUNDS)}
        for n in range(SESSIONS):
            session = await service.get_session(app_name="app", user_id="u", session_id=f"s{n}")
            assert session is not None
            assert {e.id for e in session.events} == expected, f"session s{n} lost events"
            # Read-modify-write under the run lock: no increment was lost.
            assert session.state["count"] == PROCESSES * ROUNDS, f"session s{n}"
        assert list(db_path.with_name(db_path.name + "-locks").iterdir()) == []
    finally:
        await service.close()
