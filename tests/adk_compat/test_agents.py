"""Agent callbacks, ParallelAgent and LoopAgent, written as ADK users' tests would be."""

from __future__ import annotations

import asyncio

import pytest

from runners_core import (
    BaseAgent,
    CallbackContext,
    Content,
    Event,
    EventActions,
    InMemoryRunner,
    LoopAgent,
    ParallelAgent,
    Part,
    ReadonlyContext,
    SequentialAgent,
    hookimpl,
)
from runners_core.errors import ValidationError


class Say(BaseAgent):
    """Replies with its name (what ADK's tests build with a mock model)."""

    async def _run_async_impl(self, ctx):
        yield ctx.event(f"{self.name} ran")


async def run(agent, text="hi", **runner_options) -> tuple[InMemoryRunner, list[Event]]:
    runner = InMemoryRunner(agent, auto_create_session=True, **runner_options)
    events = [
        e
        async for e in runner.run_async(
            user_id="u", session_id="s", new_message=Content.from_text(text)
        )
    ]
    return runner, events


async def stored(runner):
    return await runner.session_service.get_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )


# ---------------------------------------------------------------- callbacks


async def test_before_agent_callback_content_replaces_the_agents_turn():
    def before_agent_cb(callback_context: CallbackContext):
        callback_context.state["before"] = True
        return Content(role="model", parts=[Part(text="agent run skipped")])

    agent = Say(name="agent", before_agent_callback=before_agent_cb)
    runner, events = await run(agent)
    assert [(e.author, e.content.text) for e in events] == [("agent", "agent run skipped")]
    assert events[0].actions.state_delta == {"before": True}
    assert (await stored(runner)).state == {"before": True}


async def test_callbacks_returning_none_let_the_agent_run_and_record_state():
    async def before(callback_context):
        callback_context.state["seen_before"] = callback_context.agent_name

    def after(callback_context):
        callback_context.state["seen_after"] = 1

    agent = Say(name="agent", before_agent_callback=before, after_agent_callback=after)
    runner, events = await run(agent)
    assert [e.content.text if e.content else None for e in events] == [None, "agent ran", None]
    assert events[0].actions.state_delta == {"seen_before": "agent"}
    assert events[2].actions.state_delta == {"seen_after": 1}
    assert (await stored(runner)).state == {"seen_before": "agent", "seen_after": 1}


async def test_after_agent_callback_content_is_added_after_the_turn():
    agent = Say(
        name="agent",
        after_agent_callback=lambda callback_context: Content(
            role="model", parts=[Part(text="appended")]
        ),
    )
    _, events = await run(agent)
    assert [e.content.text for e in events] == ["agent ran", "appended"]


async def test_a_list_of_callbacks_stops_at_the_first_that_returns_content():
    calls = []

    def quiet(callback_context):
        calls.append("quiet")

    async def answers(callback_context):
        calls.append("answers")
        return Content(role="model", parts=[Part(text="from the second")])

    def never(callback_context):
        calls.append("never")

    agent = Say(name="agent", before_agent_callback=[quiet, answers, never])
    _, events = await run(agent)
    assert calls == ["quiet", "answers"]
    assert [e.content.text for e in events] == ["from the second"]


async def test_a_replaced_step_does_not_stop_the_rest_of_a_sequence():
    skip = Say(
        name="a",
        before_agent_callback=lambda callback_context: Content(parts=[Part(text="a skipped")]),
    )
    _, events = await run(SequentialAgent(name="seq", sub_agents=[skip, Say(name="b")]))
    assert [e.content.text for e in events] == ["a skipped", "b ran"]


async def test_callback_context_saves_and_loads_artifacts():
    async def before(callback_context: CallbackContext):
        version = await callback_context.save_artifact("note.txt", Part(text="hello"))
        loaded = await callback_context.load_artifact("note.txt")
        return Content(role="model", parts=[Part(text=f"v{version}: {loaded.text}")])

    _, events = await run(Say(name="agent", before_agent_callback=before))
    assert events[0].content.text == "v0: hello"
    assert events[0].actions.artifact_delta == {"note.txt": 0}


async def test_readonly_context_cannot_write_state():
    from runners_core import InMemorySessionService, InvocationContext

    service = InMemorySessionService()
    session = await service.create_session(app_name="a", user_id="u", state={"k": 1})
    ctx = InvocationContext(
        invocation_id="i", agent=Say(name="x"), session=session, session_service=service
    )
    readonly = ReadonlyContext(ctx)
    assert readonly.state["k"] == 1 and readonly.invocation_id == "i"
    with pytest.raises(TypeError):
        readonly.state["k"] = 2  # type: ignore[index]


async def test_a_callback_returning_something_else_is_a_clear_error():
    agent = Say(name="agent", before_agent_callback=lambda callback_context: "plain text")
    with pytest.raises(ValidationError, match="return a runners_core.Content"):
        await run(agent)


async def test_plugins_run_before_agent_callbacks():
    order = []

    class Plugin:
        @hookimpl
        def before_run(self, ctx):
            order.append("plugin before_run")

        @hookimpl
        def on_event(self, ctx, event):
            order.append(f"plugin on_event {event.content.text}")

    def before(callback_context):
        order.append("agent callback")
        return Content(role="model", parts=[Part(text="cb")])

    await run(Say(name="agent", before_agent_callback=before), plugins=[Plugin()])
    assert order == ["plugin before_run", "agent callback", "plugin on_event cb"]


# ---------------------------------------------------------------- ParallelAgent


async def test_parallel_agent_runs_sub_agents_concurrently_on_their_own_branches():
    started: list[str] = []
    release = asyncio.Event()

    class Waits(BaseAgent):
        async def _run_async_impl(self, ctx):
            started.append(self.name)
            if len(started) == 2:
                release.set()
            await release.wait()  # only returns if both branches are running at once
            yield ctx.event(f"{self.name} done")

    parallel = ParallelAgent(name="fan", sub_agents=[Waits(name="x"), Waits(name="y")])
    _, events = await asyncio.wait_for(run(parallel), timeout=10)
    assert sorted(started) == ["x", "y"]
    assert {(e.author, e.branch) for e in events} == {("x", "fan.x"), ("y", "fan.y")}


async def test_parallel_events_interleave_and_state_stays_with_its_branch():
    handled = {"x": asyncio.Event(), "y": asyncio.Event()}

    class PingPong(BaseAgent):
        other: str

        async def _run_async_impl(self, ctx):
            if self.name == "y":
                await handled["x"].wait()
            ctx.state[f"{self.name}_step"] = 0
            yield ctx.event(f"{self.name} 0")  # resumes once the runner has stored it
            handled[self.name].set()
            await handled[self.other].wait()
            ctx.state[f"{self.name}_step"] = 1
            yield ctx.event(f"{self.name} 1")

    parallel = ParallelAgent(
        name="fan", sub_agents=[PingPong(name="x", other="y"), PingPong(name="y", other="x")]
    )
    runner, events = await asyncio.wait_for(run(parallel), timeout=10)
    texts = [e.content.text for e in events]
    assert texts[:2] == ["x 0", "y 0"] and sorted(texts[2:]) == ["x 1", "y 1"]
    for event in events:
        assert set(event.actions.state_delta) == {f"{event.author}_step"}
    assert (await stored(runner)).state == {"x_step": 1, "y_step": 1}


async def test_parallel_failure_cancels_the_other_branches_and_is_raised():
    cancelled = asyncio.Event()

    class Forever(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("started")
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.set()
                raise

    class Boom(BaseAgent):
        async def _run_async_impl(self, ctx):
            await asyncio.sleep(0.01)
            raise RuntimeError("branch failed")
            yield  # pragma: no cover

    parallel = ParallelAgent(name="fan", sub_agents=[Forever(name="f"), Boom(name="b")])
    with pytest.raises(RuntimeError, match="branch failed"):
        await asyncio.wait_for(run(parallel), timeout=10)
    assert cancelled.is_set()


async def test_parallel_inside_sequence_nests_branches():
    inner = ParallelAgent(name="fan", sub_agents=[Say(name="x"), Say(name="y")])
    _, events = await run(SequentialAgent(name="seq", sub_agents=[inner, Say(name="after")]))
    assert {e.branch for e in events[:2]} == {"fan.x", "fan.y"}
    assert (events[2].author, events[2].branch) == ("after", None)


# ---------------------------------------------------------------- LoopAgent


async def test_loop_agent_runs_max_iterations_rounds():
    loop = LoopAgent(name="loop", max_iterations=3, sub_agents=[Say(name="a"), Say(name="b")])
    _, events = await run(loop)
    assert [e.author for e in events] == ["a", "b"] * 3


async def test_loop_agent_ends_when_a_sub_agent_escalates():
    class Counter(BaseAgent):
        async def _run_async_impl(self, ctx):
            count = ctx.state.get("count", 0) + 1
            ctx.state["count"] = count
            yield ctx.event(f"count {count}", actions=EventActions(escalate=count >= 2 or None))

    loop = LoopAgent(name="loop", sub_agents=[Counter(name="counter"), Say(name="after")])
    runner, events = await run(loop)
    assert [e.content.text for e in events] == ["count 1", "after ran", "count 2"]
    assert (await stored(runner)).state == {"count": 2}


async def test_loop_agent_with_zero_iterations_runs_nothing():
    _, events = await run(LoopAgent(name="loop", max_iterations=0, sub_agents=[Say(name="a")]))
    assert events == []
