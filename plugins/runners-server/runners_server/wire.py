"""The JSON the API speaks: ADK's shapes (camelCase keys, ``None`` fields left out).

Models dump themselves; this module only decides which models a response holds
and wraps the few response shapes that are the server's own (a session with its
events, an artifact version).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from runners_core.artifacts.base import ArtifactVersion
from runners_core.content import Content, Part
from runners_core.events import Event
from runners_core.sessions.session import Session
from runners_server._interim_camel import camelize, snakify


def dump(model: BaseModel) -> Any:
    """A model as ADK writes it: camelCase, no ``None`` fields, bytes as base64."""
    return camelize(model.model_dump(mode="json", exclude_none=True))


def event_json(event: Event) -> dict[str, Any]:
    return dump(event)


def session_json(session: Session, *, events: list[Event] | None = None) -> dict[str, Any]:
    """A session as ADK's ``Session`` (``events`` replaced when given, e.g. a page)."""
    return {
        "id": session.id,
        "appName": session.app_name,
        "userId": session.user_id,
        "state": session.state,
        "events": [event_json(e) for e in (session.events if events is None else events)],
        "lastUpdateTime": session.last_update_time,
    }


def artifact_version_json(version: ArtifactVersion) -> dict[str, Any]:
    return dump(version)


def part_json(part: Part) -> dict[str, Any]:
    return dump(part)


def content_from_json(data: Any) -> Content:
    return Content.model_validate(snakify(data))


def part_from_json(data: Any) -> Part:
    return Part.model_validate(snakify(data))
