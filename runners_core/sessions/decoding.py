"""Bulk decoding of stored events, shared by every backend that stores JSON.

A page of events is validated as one JSON array: one call into pydantic-core
instead of one per event. Loaded sessions decode lazily instead
(:mod:`runners_core.sessions.history`), so a turn pays only for what it reads.

The cyclic garbage collector is left alone: it belongs to the application. (An
earlier version paused it while decoding, which affected every thread and could
re-enable a collector the application had disabled.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from runners_core.errors import BackendError, UnreadableEventError
from runners_core.events import Event

_EVENT_LIST: TypeAdapter[list[Event]] | None = None


def decode_events(payloads: Sequence[str], *, where: str = "the backend") -> list[Event]:
    """Events from their stored JSON, oldest first; a bad row is named by its position."""
    global _EVENT_LIST
    if not payloads:
        return []
    if _EVENT_LIST is None:  # built on first use: keeps `import runners_core` cheap
        _EVENT_LIST = TypeAdapter(list[Event])
    try:
        return _EVENT_LIST.validate_json("[" + ",".join(payloads) + "]")
    except PydanticValidationError:
        pass
    for position, payload in enumerate(payloads, start=1):
        try:
            Event.model_validate_json(payload)
        except PydanticValidationError as exc:
            raise unreadable_event(position, len(payloads), payload, where, exc) from None
    raise BackendError(f"the events loaded from {where} cannot be read back as one list")


_EVENT_ID = re.compile(r'"id"\s*:\s*"([^"\\]{1,200})"')


def unreadable_event(
    position: int, total: int, payload: str | bytes, where: str, exc: PydanticValidationError
) -> UnreadableEventError:
    """The error naming one stored event that cannot be decoded, and how to recover."""
    head = payload[:4096]
    found = _EVENT_ID.search(head if isinstance(head, str) else head.decode(errors="replace"))
    event_id = found.group(1) if found else None
    named = f"(id {event_id!r}) " if event_id else ""
    before = (
        f"The {position - 1} event(s) before it still load (session.events[:{position - 1}], "
        f"list_events(..., page_size={position - 1})), so they can be exported; "
        if position > 1
        else ""
    )
    return UnreadableEventError(
        f"stored event {position} of {total} {named}loaded from {where} cannot be read back "
        f"({exc.errors()[0]['msg']} at {_location(exc)}). It was stored by a version that did "
        "not validate writes, written by an incompatible version, or edited outside "
        f"runners-core. {before}delete_session removes the session",
        position=position,
        event_id=event_id,
    )


def _location(exc: PydanticValidationError) -> str:
    loc = exc.errors()[0].get("loc", ())
    return ".".join(str(part) for part in loc) or "the top level"
