"""run_live through the bridge: an ADK LlmAgent's live flow on a scripted live model."""

from __future__ import annotations

import asyncio

import pytest
from google.adk.agents import LlmAgent
from runners_adk.scripted import ScriptedLlm, call

from runners_core import Content, Event, LiveRequestQueue, Runner


def get_weather(city: str) -> dict:
    """The weather in *city*."""
    return {"city": city, "temp_c": 21}


def runner_for(agent, backend_url: str) -> Runner:
    return Runner.from_config(
        agent,
        app_name="app",
        session_service=backend_url,
        memory_service="memory://",
        artifact_service="memory://",
        auto_create_session=True,
    )


async def live(runner: Runner, exchanges: list[tuple[str, str]]) -> list[Event]:
    """Run live: send each message once the answer to the one before came; then close."""
    events: list[Event] = []
    waiting = list(exchanges)
    queue = LiveRequestQueue()
    queue.send_content(Content.from_text(waiting[0][0]))

    async def consume() -> None:
        async for event in runner.run_live(user_id="u", session_id="s1", live_request_queue=queue):
            events.append(event)
            if waiting and event.content and event.content.text == waiting[0][1]:
                waiting.pop(0)
                if waiting:
                    queue.send_content(Content.from_text(waiting[0][0]))
                else:
                    queue.close()

    await asyncio.wait_for(consume(), timeout=60)
    assert not waiting, f"answers never came: {waiting}"
    return events


@pytest.mark.backends(["sqlite", "postgresql"])
async def test_a_live_turn_with_a_tool_is_stored_once(backend_url):
    model = ScriptedLlm(script=[call("get_weather", city="Paris"), "21°C in Paris.", "Bye."])
    runner = runner_for(LlmAgent(name="weather", model=model, tools=[get_weather]), backend_url)
    try:
        events = await live(runner, [("weather in Paris?", "21°C in Paris."), ("thanks", "Bye.")])
        said = [
            e.get_function_calls()[0].name
            if e.get_function_calls()
            else e.get_function_responses()[0].response
            if e.get_function_responses()
            else e.content.text
            for e in events
            if e.content
        ]
        assert said == ["get_weather", {"city": "Paris", "temp_c": 21}, "21°C in Paris.", "Bye."]
        # The model got the tool's result on the live connection before answering.
        last = model.requests[1].contents[-1]
        assert last.parts[0].function_response.response == {"city": "Paris", "temp_c": 21}
        assert model.requests[2].contents[-1].parts[0].text == "thanks"
        session = await runner.session_service.get_session(
            app_name="app", user_id="u", session_id="s1"
        )
        stored = [(e.author, e.content.text if e.content else None) for e in session.events]
        user = [text for author, text in stored if author == "user"]
        assert user == ["weather in Paris?", "thanks"], stored  # each message stored once
        assert [e.id for e in events if e.content] == [
            e.id for e in session.events if e.author != "user" and e.content
        ]
    finally:
        await runner.close()
