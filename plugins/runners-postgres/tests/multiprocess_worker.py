"""One process of test_postgres_multiprocess.py: runs invocations through ``Runner``.

``python multiprocess_worker.py JOB_JSON`` prints one JSON line: for every
invocation, its session, invocation id and the ids of the events it yielded.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from runners_postgres import PostgresSessionService

from runners_core import BaseAgent, Content, InvocationContext, Runner


class CountingAgent(BaseAgent):
    """Yields a few events, each bumping ``count`` (a read-modify-write of session state)."""

    events_per_run: int = 2
    worker: int = 0

    async def _run_async_impl(self, ctx: InvocationContext):  # type: ignore[override]
        run = int(ctx.user_content.text) if ctx.user_content else -1
        for k in range(self.events_per_run):
            ctx.state["count"] = ctx.state.get("count", 0) + 1
            ctx.state["last"] = f"{ctx.invocation_id}:{k}"
            ctx.state[f"app:w{self.worker}"] = run
            ctx.state[f"user:w{self.worker}"] = run
            yield ctx.event(f"w{self.worker} run {run} step {k}")


def wait_for_everyone(directory: Path, worker: int, parties: int) -> None:
    (directory / f"ready-{worker}").touch()
    deadline = time.monotonic() + 60
    while len(list(directory.glob("ready-*"))) < parties:
        if time.monotonic() > deadline:
            raise TimeoutError("the other workers never started")
        time.sleep(0.01)


def main(job: dict[str, Any]) -> list[dict[str, Any]]:
    service = PostgresSessionService(job["url"])
    agent = CountingAgent(
        name="counter", worker=job["worker"], events_per_run=job["events_per_run"]
    )
    runner = Runner(app_name=job["app"], agent=agent, session_service=service)
    sessions: list[str] = job["sessions"]
    done = []
    wait_for_everyone(Path(job["barrier"]), job["worker"], job["parties"])
    try:
        for run in range(job["runs"]):
            session_id = sessions[(job["worker"] + run) % len(sessions)]
            events = list(
                runner.run(
                    user_id=job["user"],
                    session_id=session_id,
                    new_message=Content.from_text(str(run)),
                )
            )
            done.append(
                {
                    "session": session_id,
                    "invocation": events[0].invocation_id,
                    "events": [e.id for e in events],
                }
            )
    finally:
        # The service's pool lives on the runner's loop: close it before that loop stops.
        asyncio.run(service.close())
        asyncio.run(runner.close())
    return done


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
