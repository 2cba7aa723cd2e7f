"""Eight processes, fifty invocations each, four shared sessions, one database.

Each process drives ``Runner.run`` (so the service works from the runner's
background loop) with an agent that reads and bumps session state on every
event. Afterwards every session must hold every event exactly once, each
invocation's events together and in order, and state equal to the fold of the
stored deltas: a lost update or an interleaved run would show in ``count``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from runners_postgres import PostgresSessionService

from runners_core import Event

WORKER = Path(__file__).with_name("multiprocess_worker.py")
PROCESSES = 8
RUNS = 50
SESSIONS = 4
EVENTS_PER_RUN = 2
APP, USER = "mp-app", "mp-user"


def run_workers(url: str, barrier: Path) -> list[list[dict[str, Any]]]:
    base = {
        "url": url + "&pool_min=1&pool_max=2",
        "app": APP,
        "user": USER,
        "sessions": [f"s{n}" for n in range(SESSIONS)],
        "runs": RUNS,
        "events_per_run": EVENTS_PER_RUN,
        "barrier": str(barrier),
        "parties": PROCESSES,
    }
    env = {"RUNNERS_CORE_PLUGINS": "", "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps({**base, "worker": n})],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=barrier,
            env=env,
        )
        for n in range(PROCESSES)
    ]
    results = []
    for n, proc in enumerate(procs):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"worker {n} failed:\n{err[-3000:]}"
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def session_scope(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if not k.startswith(("app:", "user:"))}


def fold(events: list[Event]) -> dict[str, Any]:
    """The session-scoped state the stored deltas add up to, in stored order."""
    state: dict[str, Any] = {}
    for event in events:
        state.update(event.actions.state_delta)
    return session_scope(state)


async def stored_events(service: PostgresSessionService, session_id: str) -> list[Event]:
    events: list[Event] = []
    token = None
    while True:
        page = await service.list_events(
            app_name=APP, user_id=USER, session_id=session_id, page_size=97, page_token=token
        )
        events += page.events
        token = page.next_page_token
        if token is None:
            return events


async def test_eight_processes_share_four_sessions_through_runner(
    pg_url: str, tmp_path: Path
) -> None:
    service = PostgresSessionService(pg_url)
    try:
        for n in range(SESSIONS):
            await service.create_session(app_name=APP, user_id=USER, session_id=f"s{n}")

        results = run_workers(pg_url, tmp_path)

        acknowledged: dict[str, list[dict[str, Any]]] = {f"s{n}": [] for n in range(SESSIONS)}
        for runs in results:
            assert len(runs) == RUNS
            for run in runs:
                assert len(run["events"]) == EVENTS_PER_RUN
                acknowledged[run["session"]].append(run)
        for session_id, runs in acknowledged.items():
            events = await stored_events(service, session_id)
            ids = [e.id for e in events]
            assert not [i for i, c in Counter(ids).items() if c > 1], "an event stored twice"
            agent_ids = {i for run in runs for i in run["events"]}
            assert agent_ids <= set(ids), "an acknowledged event was lost"
            assert len(events) == len(runs) * (1 + EVENTS_PER_RUN), "unexpected extra events"

            # Each invocation: its user message, then its agent events, with nothing between.
            blocks = [events[i : i + 1 + EVENTS_PER_RUN] for i in range(0, len(events), 3)]
            by_invocation = {run["invocation"]: run["events"] for run in runs}
            assert len(blocks) == len(by_invocation)
            for block in blocks:
                invocation = block[0].invocation_id
                assert block[0].author == "user"
                assert {e.invocation_id for e in block} == {invocation}
                assert [e.id for e in block[1:]] == by_invocation[invocation]

            session = await service.get_session(app_name=APP, user_id=USER, session_id=session_id)
            assert session is not None
            session_keys = session_scope(session.state)
            assert session_keys == fold(events)
            # Every run read the state the previous run left: no lost update, no interleaving.
            assert session_keys["count"] == len(runs) * EVENTS_PER_RUN
            for worker in range(PROCESSES):
                # Each worker's runs are sequential, so its last write wins in both scopes.
                assert session.state[f"app:w{worker}"] == RUNS - 1
                assert session.state[f"user:w{worker}"] == RUNS - 1
    finally:
        await service.close()
