"""Lossless conversion between runners-core models and ADK / google-genai models.

Both sides share the same field names (runners-core mirrors ADK's shapes), so a
conversion is one dump and one validation, both done by pydantic-core.
"""

from __future__ import annotations

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


def session_to_adk(session: Session, events: list[AdkEvent] | None = None) -> AdkSession:
    """The ADK session equal to *session*; *events* are its events already converted
    (ADK events, kept in a list of the session's own)."""
    fields = {
        "id": session.id,
        "app_name": session.app_name,
        "user_id": session.user_id,
        "state": dict(session.state),
        "events": [event_to_adk(e) for e in session.events] if events is None else list(events),
        "last_update_time": session.last_update_time,
    }
    # Every field is already of its type (validated when built or stored); validating
    # the event list again would cost a check per event on every load.
    return AdkSession.model_construct(**fields)


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
