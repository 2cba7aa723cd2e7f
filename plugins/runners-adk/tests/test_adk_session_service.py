"""ADK's session-service semantics, checked on the adapter over every backend.

Written as an ADK user's test would be: ADK's own Session/Event/EventActions,
the same calls, the same expected results as ADK's in-memory service gives.
"""

from __future__ import annotations

import asyncio

import pytest
import runners_adk
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.base_session_service import BaseSessionService, GetSessionConfig
from google.genai import types


@pytest.fixture
async def service(backend_url: str):
    svc = runners_adk.session_service(backend_url)
    yield svc
    await svc.close()


def text_event(author: str, text: str, ts: float, **kwargs) -> Event:
    role = "user" if author == "user" else "model"
    return Event(
        invocation_id="inv",
        author=author,
        timestamp=ts,
        content=types.Content(role=role, parts=[types.Part(text=text)]),
        **kwargs,
    )


async def test_it_is_an_adk_session_service(service):
    assert isinstance(service, BaseSessionService)


async def test_create_get_list_delete(service):
    session = await service.create_session(app_name="app", user_id="u1", state={"k": "v"})
    assert session.id and session.state == {"k": "v"} and session.events == []
    await service.create_session(app_name="app", user_id="u1", session_id="s2")
    await service.create_session(app_name="app", user_id="u2", session_id="s3")
    got = await service.get_session(app_name="app", user_id="u1", session_id=session.id)
    assert got.id == session.id and got.state == {"k": "v"}
    mine = await service.list_sessions(app_name="app", user_id="u1")
    assert sorted(s.id for s in mine.sessions) == sorted([session.id, "s2"])
    everyone = await service.list_sessions(app_name="app")
    assert len(everyone.sessions) == 3
    await service.delete_session(app_name="app", user_id="u1", session_id="s2")
    assert await service.get_session(app_name="app", user_id="u1", session_id="s2") is None
    assert await service.get_session(app_name="other", user_id="u1", session_id=session.id) is None


async def test_state_merges_across_scopes_and_temp_is_not_stored(service):
    s1 = await service.create_session(
        app_name="app", user_id="u", state={"app:theme": "dark", "user:lang": "fr", "k": 1}
    )
    event = Event(
        invocation_id="inv",
        author="agent",
        actions=EventActions(
            state_delta={"app:v": 2, "user:name": "Ana", "k": 3, "temp:scratch": "x"}
        ),
    )
    await service.append_event(s1, event)
    # In memory, as ADK's base class: temp is visible for the invocation...
    assert s1.state["temp:scratch"] == "x" and s1.state["k"] == 3
    # ...but it is trimmed from the event and never stored.
    assert "temp:scratch" not in event.actions.state_delta
    again = await service.get_session(app_name="app", user_id="u", session_id=s1.id)
    assert again.state == {
        "app:theme": "dark",
        "app:v": 2,
        "user:lang": "fr",
        "user:name": "Ana",
        "k": 3,
    }
    assert again.events[0].actions.state_delta == {"app:v": 2, "user:name": "Ana", "k": 3}
    # app: and user: scopes reach the user's other sessions; session keys do not.
    s2 = await service.create_session(app_name="app", user_id="u")
    assert s2.state == {"app:theme": "dark", "app:v": 2, "user:lang": "fr", "user:name": "Ana"}
    other_user = await service.create_session(app_name="app", user_id="someone")
    assert other_user.state == {"app:theme": "dark", "app:v": 2}


async def test_partial_events_are_not_stored(service):
    session = await service.create_session(app_name="app", user_id="u")
    partial = text_event("agent", "chunk", 1.0, partial=True)
    assert await service.append_event(session, partial) is partial
    loaded = await service.get_session(app_name="app", user_id="u", session_id=session.id)
    assert loaded.events == [] and session.events == []


async def test_num_recent_events_and_after_timestamp_filter(service):
    session = await service.create_session(app_name="app", user_id="u")
    for i in range(6):
        await service.append_event(
            session, text_event("user" if i % 2 == 0 else "agent", f"m{i}", 10.0 + i)
        )

    async def texts(config):
        got = await service.get_session(
            app_name="app", user_id="u", session_id=session.id, config=config
        )
        return [e.content.parts[0].text for e in got.events]

    assert await texts(GetSessionConfig(num_recent_events=2)) == ["m4", "m5"]
    assert await texts(GetSessionConfig(num_recent_events=0)) == []
    assert await texts(GetSessionConfig(after_timestamp=13.0)) == ["m3", "m4", "m5"]
    assert await texts(GetSessionConfig(num_recent_events=2, after_timestamp=11.0)) == ["m4", "m5"]
    assert len(await texts(None)) == 6


async def test_events_come_back_equal_to_what_adk_appended(service):
    session = await service.create_session(app_name="app", user_id="u")
    call = Event(
        invocation_id="inv",
        author="agent",
        content=types.Content(
            role="model",
            parts=[
                types.Part(text="hmm", thought=True, thought_signature=b"\xfb\xff"),
                types.Part(
                    function_call=types.FunctionCall(id="c1", name="lookup", args={"q": "x"})
                ),
            ],
        ),
        usage_metadata=types.GenerateContentResponseUsageMetadata(total_token_count=12),
        finish_reason=types.FinishReason.STOP,
        long_running_tool_ids={"c1"},
        custom_metadata={"a": [1, 2]},
    )
    await service.append_event(session, call)
    loaded = await service.get_session(app_name="app", user_id="u", session_id=session.id)
    assert loaded.events == [call]
    assert loaded.events == session.events


async def test_appending_the_same_event_twice_stores_it_once(service):
    session = await service.create_session(app_name="app", user_id="u")
    event = text_event("agent", "once", 1.0)
    await service.append_event(session, event)
    stale_copy = await service.get_session(app_name="app", user_id="u", session_id=session.id)
    await service.append_event(stale_copy, event)
    loaded = await service.get_session(app_name="app", user_id="u", session_id=session.id)
    assert [e.id for e in loaded.events] == [event.id]


async def test_two_writers_on_one_session_never_fail(service):
    # ADK's database services raise on a stale session object; ours serialises.
    session = await service.create_session(app_name="app", user_id="u")
    copies = [
        await service.get_session(app_name="app", user_id="u", session_id=session.id)
        for _ in range(4)
    ]

    async def write(copy, n):
        for i in range(10):
            await service.append_event(copy, text_event("agent", f"{n}-{i}", 100.0 + n * 10 + i))

    await asyncio.gather(*(write(c, n) for n, c in enumerate(copies)))
    loaded = await service.get_session(app_name="app", user_id="u", session_id=session.id)
    assert len(loaded.events) == 40


async def test_a_missing_session_is_none(service):
    assert await service.get_session(app_name="app", user_id="u", session_id="nope") is None


async def test_user_state_without_a_session(service):
    # ADK's get_user_state: raw keys, no "user:" prefix; {} for a user with none.
    assert await service.get_user_state(app_name="app", user_id="u") == {}
    session = await service.create_session(
        app_name="app", user_id="u", state={"user:lang": "fr", "app:theme": "dark", "k": 1}
    )
    await service.append_event(
        session,
        Event(invocation_id="inv", author="agent", actions=EventActions(state_delta={"user:n": 2})),
    )
    assert await service.get_user_state(app_name="app", user_id="u") == {"lang": "fr", "n": 2}
    assert await service.get_user_state(app_name="app", user_id="other") == {}
    assert await service.get_user_state(app_name="other", user_id="u") == {}
