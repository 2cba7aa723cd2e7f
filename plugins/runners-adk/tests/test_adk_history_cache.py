"""The adapter reuses converted events across loads, and never serves stale history."""

from __future__ import annotations

import copy

import pytest
import runners_adk
import runners_adk.cache
from google.adk.events.event import Event
from google.adk.sessions.base_session_service import GetSessionConfig
from google.genai import types


@pytest.fixture
async def pair(backend_url: str):
    """Two adapters on one store, as two processes would have."""
    one = runners_adk.session_service(backend_url)
    two = runners_adk.session_service(backend_url)
    yield one, two
    await one.close()
    await two.close()


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ids of the stored events converted to ADK events (cache misses)."""
    seen: list[str] = []
    convert = runners_adk.cache.event_to_adk

    def counting(event):
        seen.append(event.id)
        return convert(event)

    monkeypatch.setattr(runners_adk.cache, "event_to_adk", counting)
    return seen


def said(text: str, ts: float) -> Event:
    return Event(
        invocation_id="inv",
        author="agent",
        timestamp=ts,
        content=types.Content(role="model", parts=[types.Part(text=text)]),
    )


async def texts(service, session_id: str) -> list[str]:
    got = await service.get_session(app_name="app", user_id="u", session_id=session_id)
    return [e.content.parts[0].text for e in got.events]


@pytest.mark.backends(["sqlite", "postgresql"])
async def test_a_load_converts_only_events_it_has_not_seen(pair, conversions):
    one, two = pair
    session = await one.create_session(app_name="app", user_id="u", session_id="s")
    for i in range(5):
        await one.append_event(session, said(f"m{i}", 10.0 + i))
    assert await texts(one, "s") == [f"m{i}" for i in range(5)]
    assert conversions == [], "events this adapter appended are not converted again"
    other = await two.get_session(app_name="app", user_id="u", session_id="s")
    assert len(conversions) == 5  # the second adapter never saw them
    await two.append_event(other, said("from two", 20.0))
    conversions.clear()
    assert await texts(one, "s") == [*(f"m{i}" for i in range(5)), "from two"]
    assert conversions == [other.events[-1].id], "only the other writer's event is new"
    conversions.clear()
    assert await texts(one, "s") == [*(f"m{i}" for i in range(5)), "from two"]
    assert conversions == []


@pytest.mark.backends(["sqlite", "postgresql"])
async def test_deleted_events_are_not_served_from_the_cache(pair):
    one, two = pair
    session = await one.create_session(app_name="app", user_id="u", session_id="s")
    for i in range(4):
        await one.append_event(session, said(f"m{i}", 10.0 + i))
    assert await texts(one, "s") == ["m0", "m1", "m2", "m3"]
    # Retention deletes m1 elsewhere, and someone appends: same length as before.
    await two.service.delete_events(
        app_name="app", user_id="u", session_id="s", event_ids=[session.events[1].id]
    )
    other = await two.get_session(app_name="app", user_id="u", session_id="s")
    await two.append_event(other, said("m4", 14.0))
    assert await texts(one, "s") == ["m0", "m2", "m3", "m4"]


@pytest.mark.backends(["sqlite", "postgresql"])
async def test_a_recreated_session_is_loaded_afresh(pair):
    one, two = pair
    session = await one.create_session(app_name="app", user_id="u", session_id="s")
    for i in range(3):
        await one.append_event(session, said(f"old{i}", 10.0 + i))
    assert await texts(one, "s") == ["old0", "old1", "old2"]
    await two.delete_session(app_name="app", user_id="u", session_id="s")
    fresh = await two.create_session(app_name="app", user_id="u", session_id="s")
    for i in range(3):
        await two.append_event(fresh, said(f"new{i}", 20.0 + i))
    assert await texts(one, "s") == ["new0", "new1", "new2"]


async def test_editing_a_loaded_event_does_not_change_later_loads(pair):
    one, _ = pair
    session = await one.create_session(app_name="app", user_id="u", session_id="s")
    await one.append_event(session, said("kept", 10.0))
    loaded = await one.get_session(app_name="app", user_id="u", session_id="s")
    loaded.events[0].author = "changed"
    loaded.events[0].content = types.Content(role="model", parts=[types.Part(text="changed")])
    loaded.events.clear()
    again = await one.get_session(app_name="app", user_id="u", session_id="s")
    assert [(e.author, e.content.parts[0].text) for e in again.events] == [("agent", "kept")]


@pytest.mark.backends(["sqlite", "postgresql"])
async def test_loads_share_events_and_a_write_releases_one(pair):
    """A load costs no copy per event: unchanged events are the same objects in each
    load's own list; the first write to one makes it the writer's, and later loads
    get a fresh conversion of the stored event instead."""
    one, _ = pair
    session = await one.create_session(app_name="app", user_id="u", session_id="s")
    for i in range(3):
        await one.append_event(session, said(f"m{i}", 10.0 + i))
    first = await one.get_session(app_name="app", user_id="u", session_id="s")
    second = await one.get_session(app_name="app", user_id="u", session_id="s")
    assert first.events is not second.events
    assert all(a is b for a, b in zip(first.events, second.events, strict=True))
    assert all(isinstance(e, Event) for e in first.events)
    assert first.events[1] == Event.model_validate(first.events[1].model_dump())
    assert type(first.events[1].model_copy()) is Event
    assert type(first.events[1].model_copy(deep=True)) is Event
    assert type(copy.deepcopy(first.events[1])) is Event
    assert copy.deepcopy(first).events == first.events
    assert "Event(" in repr(first.events[1]) and "Shared" not in repr(first.events[1])

    first.events[1].author = "mine"
    assert type(first.events[1]) is Event and second.events[1].author == "mine"
    third = await one.get_session(app_name="app", user_id="u", session_id="s")
    assert third.events[1] is not first.events[1]
    assert [e.author for e in third.events] == ["agent"] * 3
    assert third.events[0] is first.events[0] and third.events[2] is first.events[2]
    third.events[2].content = types.Content(role="model", parts=[types.Part(text="edited")])
    assert await texts(one, "s") == ["m0", "m1", "m2"]


@pytest.mark.backends(["sqlite", "postgresql"])
async def test_editing_an_appended_event_or_a_recent_load_does_not_change_later_loads(pair):
    one, _ = pair
    session = await one.create_session(app_name="app", user_id="u", session_id="s")
    appended = said("kept", 10.0)
    await one.append_event(session, appended)
    appended.author = "changed after append"
    session.events[0].invocation_id = "changed in the session"
    recent = await one.get_session(
        app_name="app",
        user_id="u",
        session_id="s",
        config=GetSessionConfig(num_recent_events=1),
    )
    recent.events[0].author = "changed in a recent load"
    full = await one.get_session(app_name="app", user_id="u", session_id="s")
    assert [(e.author, e.invocation_id) for e in full.events] == [("agent", "inv")]
    full.events[0].author = "changed in a full load"
    recent = await one.get_session(
        app_name="app",
        user_id="u",
        session_id="s",
        config=GetSessionConfig(num_recent_events=1),
    )
    assert [(e.author, e.invocation_id) for e in recent.events] == [("agent", "inv")]
