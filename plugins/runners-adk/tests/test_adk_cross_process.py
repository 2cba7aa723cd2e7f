"""Two processes sending to one session: each invocation's events stay together."""

from __future__ import annotations

import asyncio
import sys
from itertools import groupby
from pathlib import Path

import pytest

from runners_core import session_service_from_url

WORKER = Path(__file__).with_name("adk_worker.py")
TURNS = 3


@pytest.mark.backends(["sqlite", "postgresql", "redis"])
async def test_two_processes_on_one_session_are_serialised(backend_url):
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            backend_url,
            name,
            str(TURNS),
            stderr=asyncio.subprocess.PIPE,
        )
        for name in ("alpha", "beta")
    ]
    for proc in procs:
        _, err = await asyncio.wait_for(proc.communicate(), timeout=300)
        assert proc.returncode == 0, err.decode()[-2000:]
    service = session_service_from_url(backend_url)
    try:
        session = await service.get_session(app_name="app", user_id="u", session_id="shared")
    finally:
        await service.close()
    # user message, function call, function response, answer: 4 events per invocation.
    assert len(session.events) == 2 * TURNS * 4
    runs = [key for key, _ in groupby(session.events, key=lambda e: e.invocation_id)]
    assert len(runs) == 2 * TURNS, "two invocations' events interleaved"
    for _, events in groupby(session.events, key=lambda e: e.invocation_id):
        events = list(events)
        who = events[0].content.text.split("-")[0]
        assert [e.author for e in events] == ["user", "scribe", "scribe", "scribe"]
        assert events[-1].content.text == f"{who} done"
