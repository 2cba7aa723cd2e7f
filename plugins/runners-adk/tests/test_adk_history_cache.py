"""The adapter reuses converted events across loads, and never serves stale history."""

from __future__ import annotations

import pytest
import runners_adk
import runners_adk.cache
from google.adk.events.event import Event
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
