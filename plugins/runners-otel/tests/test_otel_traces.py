"""Span trees and attributes the otel plugin records, read back from the in-memory exporter."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.trace import StatusCode
from pydantic import Field

from runners_core import (
    BaseAgent,
    Content,
    Event,
    EventActions,
    InMemoryRunner,
    LiveRequestQueue,
    hookimpl,
)
from runners_core.errors import SessionBusyError

APP = "traced"


class Talker(BaseAgent):
    """Says its lines; starts a span of its own (as an agent's library would); may transfer."""

    lines: list[str] = Field(default_factory=lambda: ["hello"])
    transfer_to: str | None = None
    tracer_provider: object = None

    async def _run_async_impl(self, ctx):
        with self.tracer_provider.get_tracer("agent-lib").start_as_current_span("library call"):
            for line in self.lines:
                yield ctx.event(line)
        if self.transfer_to:
            yield ctx.event("over to you", actions=EventActions(transfer_to_agent=self.transfer_to))


def runner_for(agent, otel, **options):
    return InMemoryRunner(
        agent, app_name=APP, plugins=[otel.plugin], auto_create_session=True, **options
    )


async def run(runner, text="hi", session_id="s"):
    return [
        e
        async for e in runner.run_async(
            user_id="u", session_id=session_id, new_message=Content.from_text(text)
        )
    ]


def events_of(span):
    return [(e.name, dict(e.attributes)) for e in span.events]


async def test_plain_run(otel):
    agent = Talker(name="root", description="says hello", tracer_provider=otel.tracer_provider)
    events = await run(runner_for(agent, otel))
    assert otel.tree() == [
        (
            f"invocation {APP}",
            [("invoke_agent root", [("library call", [])])],
        )
    ]
    invocation = otel.span(f"invocation {APP}")
    attributes = dict(invocation.attributes)
    # Uncontended: the wait is an attribute, not a span of its own.
    assert (
        0
        <= attributes.pop("runners.session_lock.waited_s")
        < otel.plugin.settings.lock_span_threshold
    )
    assert attributes == {
        "runners.app_name": APP,
        "runners.user_id": "u",
        "runners.session_id": "s",
        "gen_ai.conversation.id": "s",
        "runners.invocation_id": events[0].invocation_id,
        "gen_ai.agent.name": "root",
        "runners.outcome": "ok",
        "runners.events": 1,
    }
    assert invocation.status.status_code is StatusCode.UNSET
    agent_span = otel.span("invoke_agent root")
    assert dict(agent_span.attributes) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "root",
        "gen_ai.agent.description": "says hello",
        "gen_ai.conversation.id": "s",
        "runners.invocation_id": events[0].invocation_id,
        "runners.outcome": "ok",
        "runners.events": 1,
    }
    # The user's event is stored before any agent runs; the agent's inside its span.
    [(name, stored_user)] = events_of(invocation)
    assert name == "event" and stored_user["runners.event.author"] == "user"
    assert stored_user["runners.event.size"] == 2
    # Stored events are final: only partial events carry runners.event.partial.
    assert "runners.event.partial" not in stored_user
    [(_, stored_agent)] = events_of(agent_span)
    # No event id: a stored event's span event carries author and size only.
    assert stored_agent == {
        "runners.event.author": "root",
        "runners.event.size": len(b"hello"),
    }


async def test_transfer(otel):
    helper = Talker(name="helper", lines=["helping"], tracer_provider=otel.tracer_provider)
    root = Talker(
        name="root", transfer_to="helper", sub_agents=[helper], tracer_provider=otel.tracer_provider
    )
    await run(runner_for(root, otel))
    assert otel.tree() == [
        (
            f"invocation {APP}",
            [
                ("invoke_agent root", [("library call", [])]),
                ("transfer root -> helper", []),
                ("invoke_agent helper", [("library call", [])]),
            ],
        )
    ]
    transfer = otel.span("transfer root -> helper")
    assert transfer.attributes["runners.transfer.from"] == "root"
    assert transfer.attributes["runners.transfer.to"] == "helper"
    assert transfer.end_time <= otel.span("invoke_agent helper").start_time
    assert otel.span("invoke_agent root").attributes["runners.events"] == 2
    assert otel.span(f"invocation {APP}").attributes["runners.events"] == 3


async def test_run_error_is_recorded_with_status(otel):
    class Broken(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("about to fail")
            raise LookupError("the tool is gone")

    with pytest.raises(LookupError):
        await run(runner_for(Broken(name="broken"), otel))
    assert otel.tree() == [(f"invocation {APP}", [("invoke_agent broken", [])])]
    for name in (f"invocation {APP}", "invoke_agent broken"):
        span = otel.span(name)
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description == "LookupError: the tool is gone"
        assert span.attributes["runners.outcome"] == "error"
        assert span.attributes["error.type"] == "LookupError"
        exception = [e for e in span.events if e.name == "exception"]
        assert exception[0].attributes["exception.message"] == "the tool is gone"


async def test_cancelled_run(otel):
    started = asyncio.Event()

    class Slow(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("working")
            started.set()
            await asyncio.sleep(60)

    runner = runner_for(Slow(name="slow"), otel)
    task = asyncio.create_task(run(runner))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert otel.tree() == [(f"invocation {APP}", [("invoke_agent slow", [])])]
    for name in (f"invocation {APP}", "invoke_agent slow"):
        span = otel.span(name)
        assert span.attributes["runners.outcome"] == "cancelled"
        assert span.status.status_code is StatusCode.UNSET
        assert "invocation cancelled" in [e.name for e in span.events]


async def test_busy_rejection(otel):
    gate = asyncio.Event()
    holding = asyncio.Event()

    class Holder(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("holding")
            holding.set()
            await gate.wait()

    runner = runner_for(Holder(name="holder"), otel, session_busy="reject")
    first = asyncio.create_task(run(runner))
    await holding.wait()
    with pytest.raises(SessionBusyError):
        await run(runner)
    gate.set()
    await first
    spans = [s for s in otel.spans() if s.name == f"invocation {APP}"]
    rejected = next(s for s in spans if s.attributes["runners.outcome"] == "busy")
    assert rejected.status.status_code is StatusCode.ERROR
    assert rejected.parent is None
    lock = next(
        s for s in otel.spans() if s.parent and s.parent.span_id == rejected.context.span_id
    )
    assert lock.name == "session_lock"
    assert lock.attributes["runners.session_lock.acquired"] is False
    assert lock.status.status_code is StatusCode.ERROR
    # The rejected attempt is its own trace, not a child of the running invocation.
    assert len({s.context.trace_id for s in spans}) == 2


async def test_lock_wait_is_its_own_span_with_the_real_wait(otel):
    gate = asyncio.Event()
    holding = asyncio.Event()

    class Holder(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("turn")
            holding.set()
            await gate.wait()

    runner = runner_for(Holder(name="holder"), otel)
    first = asyncio.create_task(run(runner))
    await holding.wait()
    second = asyncio.create_task(run(runner))
    await asyncio.sleep(0.05)
    assert not second.done()  # it is waiting for the lock
    gate.set()
    await asyncio.gather(first, second)
    invocations = sorted(
        (s for s in otel.spans() if s.name == f"invocation {APP}"), key=lambda s: s.start_time
    )
    waits = [s.attributes["runners.session_lock.waited_s"] for s in invocations]
    assert waits[0] < otel.plugin.settings.lock_span_threshold and waits[1] >= 0.05
    # Only the real wait became a span: the first child of the second invocation,
    # starting with it (the invocation's time includes its wait for the lock).
    [lock] = [s for s in otel.spans() if s.name == "session_lock"]
    assert lock.parent.span_id == invocations[1].context.span_id
    assert lock.start_time == invocations[1].start_time
    assert lock.attributes["runners.session_lock.acquired"] is True
    assert lock.attributes["runners.session_lock.waited_s"] == waits[1]
    agent_span = next(
        s
        for s in otel.spans()
        if s.name == "invoke_agent holder" and s.parent.span_id == invocations[1].context.span_id
    )
    assert lock.end_time <= agent_span.start_time


async def test_live_run_records_partial_events(otel):
    class Echo(BaseAgent):
        async def _run_live_impl(self, ctx):
            async for request in ctx.live_request_queue:
                text = request.content.text
                yield ctx.event(text[:2], partial=True)
                yield ctx.event(f"echo: {text}")

    runner = runner_for(Echo(name="echo"), otel)
    queue = LiveRequestQueue()
    queue.send_content(Content.from_text("ping"))
    queue.close()
    events = [
        e async for e in runner.run_live(user_id="u", session_id="s", live_request_queue=queue)
    ]
    assert [e.partial for e in events] == [True, None]
    assert otel.tree() == [(f"invocation {APP}", [("invoke_agent echo", [])])]
    agent_span = otel.span("invoke_agent echo")
    recorded = [
        (e.attributes["runners.event.author"], e.attributes.get("runners.event.partial", False))
        for e in agent_span.events
    ]
    # The user's message is stored as the agent takes it: inside the agent's span.
    assert recorded == [("user", False), ("echo", True), ("echo", False)]
    assert otel.span(f"invocation {APP}").attributes["runners.outcome"] == "ok"


async def test_token_usage_from_usage_metadata(otel):
    class UsageEvent(Event):
        """An event as a model integration reports it, with the model's token counts."""

        usage_metadata: dict | None = None

    class StoreWithoutUsage:
        # The kernel's Event has no usage field to store: drop it before storage.
        @hookimpl
        def before_append_event(self, event):
            return Event(**event.model_dump(exclude={"usage_metadata"}))

    class Model(BaseAgent):
        async def _run_async_impl(self, ctx):
            for prompt, output in ((10, 3), (20, 5)):
                yield UsageEvent(
                    invocation_id=ctx.invocation_id,
                    author=self.name,
                    content=Content.from_text("answer"),
                    usage_metadata={"prompt_token_count": prompt, "candidates_token_count": output},
                )

    runner = runner_for(Model(name="model"), otel)
    runner.plugins.register(StoreWithoutUsage())
    await run(runner)
    for name in (f"invocation {APP}", "invoke_agent model"):
        span = otel.span(name)
        assert span.attributes["gen_ai.usage.input_tokens"] == 30
        assert span.attributes["gen_ai.usage.output_tokens"] == 8


async def test_sync_run_nests_the_same_way(otel):
    agent = Talker(name="root", tracer_provider=otel.tracer_provider)
    runner = runner_for(agent, otel)
    list(runner.run(user_id="u", session_id="s", new_message=Content.from_text("x")))
    await runner.close()
    assert otel.tree() == [
        (
            f"invocation {APP}",
            [("invoke_agent root", [("library call", [])])],
        )
    ]
