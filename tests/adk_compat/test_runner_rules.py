"""The runner's rules as ADK 2.13 has them, written as an ADK user's tests would be."""

from __future__ import annotations

import asyncio
import logging
import sys

import pydantic
import pytest

from runners_core import (
    BaseAgent,
    Content,
    Event,
    FunctionCall,
    FunctionResponse,
    InMemoryRunner,
    InMemorySessionService,
    InvocationContext,
    Part,
    RunConfig,
    Runner,
    SequentialAgent,
)

calls: list[str] = []


@pytest.fixture(autouse=True)
def _fresh_calls():
    calls.clear()


class Recorder(BaseAgent):
    """A plain custom agent that records each run."""

    async def _run_async_impl(self, ctx):
        calls.append(self.name)
        yield ctx.event(f"{self.name} here")


class LlmStyle(Recorder):
    """Stands in for an LlmAgent: may transfer, so it keeps the conversation."""

    disallow_transfer_to_parent: bool = False


async def run_turn(runner, text="hi", **kwargs) -> list[Event]:
    message = kwargs.pop("new_message", Content.from_text(text))
    return [
        e
        async for e in runner.run_async(user_id="u", session_id="s", new_message=message, **kwargs)
    ]


async def test_sequential_root_runs_every_step_on_every_turn():
    root = SequentialAgent(name="pipeline", sub_agents=[Recorder(name="a"), Recorder(name="b")])
    runner = InMemoryRunner(root, auto_create_session=True)
    await run_turn(runner)
    assert calls == ["a", "b"]
    calls.clear()
    await run_turn(runner)
    assert calls == ["a", "b"]


@pytest.mark.parametrize(
    ("last_author", "expected"),
    [("helper", "helper"), ("stubborn", "root"), ("plain", "root"), ("ghost", "root")],
)
async def test_only_a_transferable_agent_keeps_the_conversation(last_author, expected):
    root = LlmStyle(
        name="root",
        sub_agents=[
            LlmStyle(name="helper"),
            LlmStyle(name="stubborn", disallow_transfer_to_parent=True),
            Recorder(name="plain"),
        ],
    )
    runner = InMemoryRunner(root)
    session = await runner.session_service.create_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )
    await runner.session_service.append_event(session, Event(author=last_author))
    await run_turn(runner)
    assert calls == [expected]


async def test_function_response_goes_to_the_agent_that_made_the_call():

    class Caller(Recorder):
        async def _run_async_impl(self, ctx):
            calls.append(self.name)
            if ctx.user_content.parts[0].function_response is None:
                call = FunctionCall(name="approve", args={}, id="call-7")
                yield ctx.event(content=Content(role="model", parts=[Part(function_call=call)]))
            else:
                yield ctx.event("approved")

    root = SequentialAgent(name="flow", sub_agents=[Caller(name="asker"), Recorder(name="after")])
    runner = InMemoryRunner(root, auto_create_session=True)
    await run_turn(runner)
    assert calls == ["asker", "after"]  # "after" spoke last
    calls.clear()
    answer = Content(
        role="user",
        parts=[Part(function_response=FunctionResponse(name="approve", response={}, id="call-7"))],
    )
    events = await run_turn(runner, new_message=answer)
    assert calls == ["asker"]
    assert [e.content.text for e in events] == ["approved"]


async def test_custom_metadata_is_stamped_on_every_event():
    root = SequentialAgent(name="flow", sub_agents=[Recorder(name="a"), Recorder(name="b")])
    runner = InMemoryRunner(root, auto_create_session=True)
    config = RunConfig(custom_metadata={"tenant": "acme", "trace": 7})
    events = await run_turn(runner, run_config=config)
    assert [e.custom_metadata for e in events] == [{"tenant": "acme", "trace": 7}] * 2
    stored = await runner.session_service.get_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )
    assert [e.custom_metadata for e in stored.events] == [{"tenant": "acme", "trace": 7}] * 3


async def test_an_events_own_custom_metadata_wins():
    class Tagged(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("x", custom_metadata={"trace": "mine"})

    runner = InMemoryRunner(Tagged(name="t"), auto_create_session=True)
    events = await run_turn(runner, run_config=RunConfig(custom_metadata={"trace": 1, "k": 2}))
    assert events[0].custom_metadata == {"trace": "mine", "k": 2}


def test_run_config_validates_max_llm_calls_as_adk(caplog):
    with pytest.raises(pydantic.ValidationError, match="max_llm_calls should be less than"):
        RunConfig(max_llm_calls=sys.maxsize)
    with caplog.at_level(logging.WARNING):
        assert RunConfig(max_llm_calls=0).max_llm_calls == 0
    assert "not limited" in caplog.text
    assert RunConfig().max_llm_calls == 500
    assert RunConfig(response_modalities=["TEXT"], support_cfc=False).response_modalities == [
        "TEXT"
    ]


async def test_invocation_context_builds_as_in_adks_agent_tests():
    session_service = InMemorySessionService()
    session = await session_service.create_session(app_name="test_app", user_id="test_user")
    agent = Recorder(name="test_agent")
    ctx = InvocationContext(
        invocation_id="test_id", agent=agent, session=session, session_service=session_service
    )
    assert ctx.run_config == RunConfig()
    events = [e async for e in agent.run_async(ctx)]
    assert [(e.author, e.invocation_id) for e in events] == [("test_agent", "test_id")]
    explicit_none = InvocationContext(
        invocation_id="i2",
        agent=agent,
        session=session,
        session_service=session_service,
        run_config=None,
    )
    assert explicit_none.run_config.max_llm_calls == 500


async def test_rerunning_an_invocation_stores_its_message_once():
    runner = InMemoryRunner(Recorder(name="a"), auto_create_session=True)
    await run_turn(runner, "once", invocation_id="inv-1")
    await run_turn(runner, "once", invocation_id="inv-1")
    stored = await runner.session_service.get_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )
    assert [(e.author, e.invocation_id) for e in stored.events] == [
        ("user", "inv-1"),
        ("a", "inv-1"),
        ("a", "inv-1"),
    ]


def test_cancellation_in_sync_run_is_a_runtime_error_caused_by_it():
    class Cancelled(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("before")
            raise asyncio.CancelledError()

    runner = InMemoryRunner(Cancelled(name="c"), auto_create_session=True)
    seen = []
    with pytest.raises(RuntimeError, match="terminated by CancelledError") as caught:
        for event in runner.run(user_id="u", session_id="s", new_message=Content.from_text("x")):
            seen.append(event.content.text)
    assert isinstance(caught.value.__cause__, asyncio.CancelledError)
    assert seen == ["before"]
    asyncio.run(runner.close())


async def test_vertex_style_app_names_are_accepted():
    app = "projects/p1/locations/us-central1/reasoningEngines/42"
    service = InMemorySessionService()
    runner = Runner(app_name=app, agent=Recorder(name="a"), session_service=service)
    await service.create_session(app_name=app, user_id="u", session_id="s")
    await run_turn(runner)
    other = await service.list_sessions(app_name="projects")
    assert other.sessions == []
    for bad in ("projects/../x", "/projects", "projects//x"):
        with pytest.raises(ValueError, match="segments"):
            await service.create_session(app_name=bad, user_id="u")
