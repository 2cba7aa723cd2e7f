"""Direction 1: google.adk agents on runners_core.Runner, with a scripted model (no network)."""

from __future__ import annotations

import asyncio

import pytest
import runners_adk
from google.adk.agents import LlmAgent, SequentialAgent
from google.adk.models.llm_response import LlmResponse
from google.adk.plugins.base_plugin import BasePlugin
from google.adk.tools.long_running_tool import LongRunningFunctionTool
from google.genai import types
from runners_adk import AdkAgent
from runners_adk.convert import event_to_adk
from runners_adk.scripted import ScriptedLlm, call, error, transfer

from runners_core import Content, Event, FunctionResponse, Part, Runner, hookimpl


def get_weather(city: str) -> dict:
    """The weather in *city*."""
    return {"city": city, "temp_c": 21}


def runner_for(agent, backend_url: str, **kwargs) -> Runner:
    return Runner.from_config(
        agent,
        app_name="app",
        session_service=backend_url,
        memory_service="memory://",
        artifact_service="memory://",
        auto_create_session=True,
        **kwargs,
    )


async def turn(runner: Runner, text: str | Content, session_id: str = "s1") -> list[Event]:
    message = Content.from_text(text) if isinstance(text, str) else text
    return [
        e async for e in runner.run_async(user_id="u", session_id=session_id, new_message=message)
    ]


async def stored(runner: Runner, session_id: str = "s1") -> list[Event]:
    session = await runner.session_service.get_session(
        app_name="app", user_id="u", session_id=session_id
    )
    return session.events


class Recorder(BasePlugin):
    """An ADK plugin keeping every event ADK produced (after its own callbacks)."""

    def __init__(self) -> None:
        super().__init__(name="recorder")
        self.events = []

    async def on_event_callback(self, *, invocation_context, event):
        self.events.append(event)
        return None


async def test_a_tool_calling_turn_is_stored_and_reloads_as_adk_produced_it(backend_url):
    model = ScriptedLlm(script=[call("get_weather", city="Paris"), "21°C in Paris."])
    recorder = Recorder()
    agent = AdkAgent(LlmAgent(name="weather", model=model, tools=[get_weather]), plugins=[recorder])
    runner = runner_for(agent, backend_url)
    try:
        events = await turn(runner, "weather in Paris?")
        assert [e.author for e in events] == ["weather"] * 3
        call_event, response_event, answer = events
        assert call_event.get_function_calls()[0].args == {"city": "Paris"}
        assert response_event.get_function_responses()[0].response == {
            "city": "Paris",
            "temp_c": 21,
        }
        assert answer.content.text == "21°C in Paris." and answer.finish_reason == "STOP"
        assert answer.usage_metadata.total_token_count == 13
        # The model's second call saw the tool result (appended before it resumed).
        last_request = model.requests[-1].contents
        assert last_request[-1].parts[0].function_response.response["temp_c"] == 21
        history = await stored(runner)
        assert [e.author for e in history] == ["user", "weather", "weather", "weather"]
        assert [event_to_adk(e) for e in history[1:]] == recorder.events
        # And through the ADK adapter, what ADK reads back is what ADK produced.
        adk_view = runners_adk.RunnersSessionService(service=runner.session_service)
        reloaded = await adk_view.get_session(app_name="app", user_id="u", session_id="s1")
        assert reloaded.events[1:] == recorder.events
    finally:
        await runner.close()


@pytest.mark.backends(["sqlite"])
async def test_transfer_runs_the_target_once_and_the_next_turn_goes_to_it(backend_url):
    billing_model = ScriptedLlm(script=["Your invoice is paid.", "Refund issued."])
    billing = LlmAgent(name="billing", model=billing_model, description="Billing questions")
    root_model = ScriptedLlm(script=[transfer("billing")])
    root = LlmAgent(name="front_desk", model=root_model, sub_agents=[billing])
    runner = runner_for(root, backend_url)  # adapted by runners-adk's adapt_agent hook
    try:
        assert isinstance(runner.agent, AdkAgent)
        events = await turn(runner, "is my invoice paid?")
        transfers = [e for e in events if e.actions.transfer_to_agent]
        assert [e.actions.transfer_to_agent for e in transfers] == ["billing"]
        assert events[-1].author == "billing"
        assert events[-1].content.text == "Your invoice is paid."
        assert len(billing_model.requests) == 1, "the transferred agent ran twice"
        # ADK's rule: billing answered last and may transfer, so it keeps the user.
        events = await turn(runner, "and a refund?")
        assert [e.author for e in events] == ["billing"]
        assert events[0].content.text == "Refund issued."
        assert len(root_model.requests) == 1
    finally:
        await runner.close()


@pytest.mark.backends(["sqlite"])
async def test_a_long_running_tool_is_resumed_by_a_later_function_response(backend_url):
    def ask_approval(amount: int) -> dict:
        """Ask a human to approve a payment."""
        return {"status": "pending"}

    model = ScriptedLlm(script=[call("ask_approval", amount=50), "Waiting.", "Payment approved."])
    agent = LlmAgent(name="payer", model=model, tools=[LongRunningFunctionTool(ask_approval)])
    runner = runner_for(agent, backend_url)
    try:
        events = await turn(runner, "pay 50")
        call_event = next(e for e in events if e.get_function_calls())
        call_id = call_event.get_function_calls()[0].id
        assert call_event.long_running_tool_ids == {call_id}
        answer = Content(
            role="user",
            parts=[
                Part(
                    function_response=FunctionResponse(
                        id=call_id, name="ask_approval", response={"status": "approved"}
                    )
                )
            ],
        )
        events = await turn(runner, answer)
        assert events[-1].content.text == "Payment approved."
        seen = model.requests[-1].contents
        assert any(
            p.function_response and p.function_response.response == {"status": "approved"}
            for c in seen
            for p in c.parts
        )
    finally:
        await runner.close()


@pytest.mark.backends(["sqlite"])
async def test_callbacks_replace_a_turn(backend_url):
    def canned(callback_context, llm_request):
        return LlmResponse(
            content=types.Content(role="model", parts=[types.Part(text="canned answer")])
        )

    model = ScriptedLlm(script=["never used"])
    agent = LlmAgent(name="bot", model=model, before_model_callback=canned)
    runner = runner_for(agent, backend_url)
    try:
        events = await turn(runner, "hi")
        assert [e.content.text for e in events] == ["canned answer"]
        assert model.requests == []
        assert [e.content.text for e in await stored(runner)] == ["hi", "canned answer"]
    finally:
        await runner.close()

    def skip_agent(callback_context):
        return types.Content(role="model", parts=[types.Part(text="closed today")])

    agent = LlmAgent(name="bot", model=ScriptedLlm(), before_agent_callback=skip_agent)
    runner = runner_for(agent, backend_url)
    try:
        assert [e.content.text for e in await turn(runner, "hi", "s2")] == ["closed today"]
    finally:
        await runner.close()


@pytest.mark.backends(["sqlite"])
async def test_a_model_error_is_an_event_not_a_crash(backend_url):
    agent = LlmAgent(name="bot", model=ScriptedLlm(script=[error("RESOURCE_EXHAUSTED", "quota")]))
    runner = runner_for(agent, backend_url)
    try:
        events = await turn(runner, "hi")
        assert events[-1].error_code == "RESOURCE_EXHAUSTED"
        assert events[-1].is_final_response()
    finally:
        await runner.close()


@pytest.mark.backends(["sqlite"])
async def test_cancellation_mid_model_call_stores_nothing_half_done(backend_url):
    slow = ScriptedLlm(script=["too late"], delay=30)
    runner = runner_for(LlmAgent(name="bot", model=slow), backend_url)
    try:
        task = asyncio.create_task(turn(runner, "hi"))
        await slow.wait_for_call()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert [e.author for e in await stored(runner)] == ["user"]
        # The session is free again: the next turn runs.
        slow.delay = 0
        events = await turn(runner, "again")
        assert events[-1].content.text == "too late"
    finally:
        await runner.close()


@pytest.mark.backends(["sqlite"])
async def test_adk_plugins_and_runners_core_hooks_both_see_the_events(backend_url):
    class Shout(BasePlugin):
        def __init__(self):
            super().__init__(name="shout")

        async def after_model_callback(self, *, callback_context, llm_response):
            text = llm_response.content.parts[0].text
            return LlmResponse(
                content=types.Content(role="model", parts=[types.Part(text=text.upper())])
            )

    class Redact:
        @hookimpl
        def on_event(self, ctx, event):
            if event.content and "SECRET" in event.content.text:
                return event.model_copy(
                    update={"content": Content.from_text("[redacted]", role="model")}
                )
            return None

    model = ScriptedLlm(script=["the secret is 42", "what did you say?"])
    agent = AdkAgent(LlmAgent(name="bot", model=model), plugins=[Shout()])
    runner = runner_for(agent, backend_url, plugins=[Redact()])
    try:
        events = await turn(runner, "tell me")
        assert [e.content.text for e in events] == ["[redacted]"]
        await turn(runner, "again")
        # The model's next call saw the redacted event, not the original.
        history = [p.text for c in model.requests[-1].contents for p in c.parts]
        assert "[redacted]" in history and "THE SECRET IS 42" not in history
    finally:
        await runner.close()


@pytest.mark.backends(["sqlite"])
async def test_sequential_agent_runs_its_steps(backend_url):
    first = LlmAgent(name="drafter", model=ScriptedLlm(script=["draft"]), output_key="draft")
    second = LlmAgent(name="editor", model=ScriptedLlm(script=["final"]))
    runner = runner_for(SequentialAgent(name="pipeline", sub_agents=[first, second]), backend_url)
    try:
        events = await turn(runner, "write")
        texts = [(e.author, e.content.text) for e in events if e.content]
        assert texts == [("drafter", "draft"), ("editor", "final")]
        session = await runner.session_service.get_session(
            app_name="app", user_id="u", session_id="s1"
        )
        assert session.state["draft"] == "draft"
    finally:
        await runner.close()


@pytest.mark.backends(["sqlite"])
async def test_temp_state_is_seen_later_in_the_invocation_but_never_stored(backend_url):
    def remember(tool_context) -> dict:
        """Remember a scratch value."""
        tool_context.state["temp:scratch"] = "x"
        tool_context.state["kept"] = "y"
        return {"ok": True}

    def peek(callback_context, llm_request):
        seen.append(callback_context.state.get("temp:scratch"))
        return None

    seen: list = []
    model = ScriptedLlm(script=[call("remember"), "done"])
    agent = LlmAgent(name="bot", model=model, tools=[remember], before_model_callback=peek)
    runner = runner_for(agent, backend_url)
    try:
        await turn(runner, "go")
        assert seen == [None, "x"]
        session = await runner.session_service.get_session(
            app_name="app", user_id="u", session_id="s1"
        )
        assert session.state == {"kept": "y"}
        assert all("temp:scratch" not in e.actions.state_delta for e in session.events)
    finally:
        await runner.close()
