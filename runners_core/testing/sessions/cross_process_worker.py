"""A child process of the cross-process tests: ``python -m`` this module with a JSON job.

It opens the service from the URL with ``session_service_from_url`` (as another
process of a real deployment would), waits at a file barrier so that all workers
start together, does its job and prints a JSON result line.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from runners_core.events import Event, EventActions
from runners_core.services import session_service_from_url
from runners_core.state_ops import StateOp


def _barrier(directory: Path, name: str, parties: int) -> None:
    # Blocking on purpose: the worker has nothing else to do until everyone is ready.
    (directory / f"ready-{name}").touch()
    deadline = time.monotonic() + 60
    while len(list(directory.glob("ready-*"))) < parties:
        if time.monotonic() > deadline:
            raise TimeoutError("cross-process barrier: the other workers never started")
        time.sleep(0.01)


async def _append(service: Any, job: dict[str, Any]) -> dict[str, Any]:
    key = job["key"]
    session = await service.get_session(**key)
    worker = job["worker"]
    events = [
        Event(
            id=f"w{worker}-{i}",
            author="agent",
            invocation_id=f"inv-{worker}",
            actions=EventActions(state_delta={f"w{worker}": i, "user:last": worker}),
        )
        for i in range(job["count"])
    ]
    shared = Event(id="shared", author="user")
    for event in events:
        await service.append_event(session, event)
    for event in (shared, events[0], events[-1]):  # retries: must change nothing
        await service.append_event(session, event)
    return {"appended": [e.id for e in events]}


async def _lock(service: Any, job: dict[str, Any]) -> dict[str, Any]:
    key = job["key"]
    spans = []
    for _ in range(job["rounds"]):
        async with service.lock_session(**key):
            entered = time.time()
            session = await service.get_session(**key)
            count = session.state.get("count", 0)
            await asyncio.sleep(0.005)  # widen the window a lost update would need
            event = Event(
                author="agent",
                invocation_id=f"inv-{job['worker']}",
                actions=EventActions(state_delta={"count": count + 1}),
            )
            await service.append_event(session, event)
            spans.append((entered, time.time()))
    return {"spans": spans}


async def _ops(service: Any, job: dict[str, Any]) -> dict[str, Any]:
    # Each worker bumps shared user:/app: keys from its own session of one user.
    session = await service.get_session(**job["keys"][job["worker"]])
    for i in range(job["count"]):
        ops = [
            StateOp(op="increment", key="user:counter", value=1),
            StateOp(op="increment", key="app:counter", value=1),
            StateOp(op="add", key="user:members", value=f"{job['worker']}-{i}"),
        ]
        event = Event(
            author="agent",
            invocation_id=f"inv-{job['worker']}",
            actions=EventActions(state_ops=ops),
        )
        await service.append_event(session, event)
    return {"done": job["count"]}


_ACTIONS = {"append": _append, "lock": _lock, "ops": _ops}


async def _main(job: dict[str, Any]) -> dict[str, Any]:
    service = session_service_from_url(job["url"])
    try:
        _barrier(Path(job["barrier"]), str(job["worker"]), job["parties"])
        return await _ACTIONS[job["action"]](service, job)
    finally:
        await service.close()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_main(json.loads(sys.argv[1])))))
