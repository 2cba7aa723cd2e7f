"""Bulk decoding of stored events, shared by every backend that stores JSON.

A page of events is validated as one JSON array: one call into pydantic-core
instead of one per event. Loaded sessions decode lazily instead
(:mod:`runners_core.sessions.history`), so a turn pays only for what it reads.

The cyclic garbage collector is left alone: it belongs to the application. (An
earlier version paused it while decoding, which affected every thread and could
re-enable a collector the application had disabled.)
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from runners_core.errors import BackendError
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
            raise BackendError(
                f"stored event {position} of {len(payloads)} loaded from {where} cannot be "
                f"read back ({exc.errors()[0]['msg']}); it was changed outside runners-core "
                "or written by an incompatible version"
            ) from None
    raise BackendError(f"the events loaded from {where} cannot be read back as one list")
