"""Lossless conversion between runners-core models and ADK / google-genai models.

Both sides share the same field names (runners-core mirrors ADK's shapes), so a
conversion is one dump and one validation, both done by pydantic-core.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from google.adk.events.event import Event as AdkEvent
from google.adk.sessions.session import Session as AdkSession
from google.genai import types

from runners_core.content import Content, Part
from runners_core.events import Event
from runners_core.sessions.session import Session

# Fields runners-core has and ADK's models do not (ADK keeps end_invocation on its
# InvocationContext, not on the event).
_OURS_ONLY: dict[str, Any] = {"actions": {"end_invocation"}}


def event_to_adk(event: Event) -> AdkEvent:
    """The ADK event equal to *event*."""
    return AdkEvent.model_validate(event.model_dump(exclude_none=True, exclude=_OURS_ONLY))


def event_from_adk(event: AdkEvent) -> Event:
    """The runners-core event equal to *event*."""
    data = event.model_dump(exclude_none=True)
    if not data.get("author"):
        data["author"] = "user"
    if not data.get("id"):
        data.pop("id", None)
    return Event.model_validate(data)


def session_to_adk(session: Session, cache: EventCache | None = None) -> AdkSession:
    convert = event_to_adk if cache is None else cache.to_adk
    return AdkSession(
        id=session.id,
        app_name=session.app_name,
        user_id=session.user_id,
        state=dict(session.state),
        events=[convert(e) for e in session.events],
        last_update_time=session.last_update_time,
    )


class EventCache:
    """ADK events already converted, by stored event id (bounded, oldest dropped first).

    Building an ADK ``Event`` costs several times what decoding ours does (ADK's and
    google-genai's validators); ADK's Runner loads the whole session every
    invocation, so without this cache every load converts the whole history again.
    A stored event never changes, so its conversion can be reused; each load gets
    its own shallow copy (nested content is shared, as ADK treats it read-only).
    """

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._events: OrderedDict[tuple[str, float], AdkEvent] = OrderedDict()

    def to_adk(self, event: Event) -> AdkEvent:
        key = (event.id, event.timestamp)
        cached = self._events.get(key)
        if cached is None:
            cached = event_to_adk(event)
            self.put(key, cached)
        return cached.model_copy()

    def remember(self, event: Event, adk_event: AdkEvent) -> None:
        self.put((event.id, event.timestamp), adk_event.model_copy())

    def put(self, key: tuple[str, float], adk_event: AdkEvent) -> None:
        self._events[key] = adk_event
        if len(self._events) > self._size:
            self._events.popitem(last=False)


def session_from_adk(session: AdkSession) -> Session:
    return Session(
        id=session.id,
        app_name=session.app_name,
        user_id=session.user_id,
        state=dict(session.state),
        events=[event_from_adk(e) for e in session.events],
        last_update_time=session.last_update_time,
    )


def content_to_adk(content: Content | None) -> types.Content | None:
    if content is None:
        return None
    return types.Content.model_validate(content.model_dump(exclude_none=True))


def content_from_adk(content: types.Content | dict[str, Any] | None) -> Content | None:
    if content is None:
        return None
    if isinstance(content, dict):
        return Content.model_validate(content)
    return Content.model_validate(content.model_dump(exclude_none=True))


def part_to_adk(part: Part | None) -> types.Part | None:
    if part is None:
        return None
    return types.Part.model_validate(part.model_dump(exclude_none=True))


def part_from_adk(part: types.Part | dict[str, Any]) -> Part:
    if isinstance(part, dict):
        return Part.model_validate(part)
    return Part.model_validate(part.model_dump(exclude_none=True))
