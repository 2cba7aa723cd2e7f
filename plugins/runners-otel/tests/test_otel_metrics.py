"""Metric values after a known workload, read from the SDK's in-memory metric reader."""

from __future__ import annotations

import asyncio

import pytest

from runners_core import BaseAgent, Content, InMemoryRunner
from runners_core.errors import BackendError, SessionBusyError

APP = "metered"


def total(points, **attributes):
    return sum(
        p.value for p in points if all(p.attributes.get(k) == v for k, v in attributes.items())
    )


def counts(points, **attributes):
    return sum(
        p.count for p in points if all(p.attributes.get(k) == v for k, v in attributes.items())
    )


async def test_metrics_after_a_known_workload(otel):
    gate = asyncio.Event()
    holding = asyncio.Event()

    class Worker(BaseAgent):
        async def _run_async_impl(self, ctx):
            text = ctx.user_content.text
            yield ctx.event("one")
            if text == "fail":
                raise BackendError("the disk is full")
            if text == "hold":
                holding.set()
                await gate.wait()
            yield ctx.event("two")

    runner = InMemoryRunner(
        Worker(name="worker"),
        app_name=APP,
        plugins=[otel.plugin],
        auto_create_session=True,
        session_busy="reject",
    )

    async def run(session_id, text):
        async for _ in runner.run_async(
            user_id="u", session_id=session_id, new_message=Content.from_text(text)
        ):
            pass

    for session_id in ("s1", "s2"):
        await run(session_id, "work")
    with pytest.raises(BackendError):
        await run("s3", "fail")
    held = asyncio.create_task(run("s4", "hold"))
    await holding.wait()
    with pytest.raises(SessionBusyError):
        await run("s4", "again")
    gate.set()
    await held

    found = otel.metrics()
    invocations = found["runners.invocations"]
    assert total(invocations, **{"runners.outcome": "ok"}) == 3
    assert total(invocations, **{"runners.outcome": "error"}) == 1
    assert total(invocations, **{"runners.outcome": "busy"}) == 1
    assert total(invocations, **{"runners.app_name": APP}) == 5
    assert total(invocations, **{"gen_ai.agent.name": "worker"}) == 4
    durations = found["runners.invocation.duration"]
    assert counts(durations) == 5 and counts(durations, **{"runners.outcome": "ok"}) == 3
    assert all(p.min >= 0 for p in durations)
    # 3 good runs store user + two events; the failed one user + one.
    stored = found["runners.events.stored"]
    assert total(stored) == 11
    assert total(stored, **{"runners.event.author": "user"}) == 4
    assert total(stored, **{"runners.event.author": "worker"}) == 7
    lock_wait = found["runners.session_lock.wait"]
    assert counts(lock_wait, **{"runners.session_lock.acquired": True}) == 4
    assert counts(lock_wait, **{"runners.session_lock.acquired": False}) == 1
    assert total(found["runners.busy_rejections"]) == 1
    backend = found["runners.backend.errors"]
    assert total(backend, **{"error.type": "BackendError"}) == 1
    # Users and sessions are span attributes only: never metric dimensions.
    for points in found.values():
        for point in points:
            assert "runners.user_id" not in point.attributes
            assert "runners.session_id" not in point.attributes
