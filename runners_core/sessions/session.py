"""The session model and the small request/response models of the session API."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_serializer

from runners_core.events import Event
from runners_core.wire import WireModel


class Session(WireModel):
    """One conversation between a user and an app: its state and its event history.

    ``state`` is the merged view: session keys as they are, app-wide keys with
    their ``app:`` prefix and user-wide keys with their ``user:`` prefix. Its
    JSON is ADK's (``appName``, ``lastUpdateTime`` with ``by_alias=True``). On a
    loaded session ``events`` is an :class:`~runners_core.sessions.history.EventHistory`:
    a list of events decoded as they are read.
    """

    id: str
    app_name: str
    user_id: str
    state: dict[str, Any] = Field(default_factory=dict)
    events: list[Event] = Field(default_factory=list)
    last_update_time: float = Field(default_factory=time.time)

    @field_serializer("events", mode="wrap")
    def _serialize_events(self, events: Any, handler: SerializerFunctionWrapHandler) -> Any:
        # A loaded session's events are an EventHistory (decoded on access), not a list.
        return handler(events if isinstance(events, list) else list(events))


class GetSessionConfig(BaseModel):
    """Limits on the history ``get_session`` loads.

    ``num_recent_events`` keeps the last N events; ``after_timestamp`` keeps the
    trailing events whose timestamp is at or after it. Both may be combined.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    num_recent_events: int | None = Field(default=None, ge=0)
    after_timestamp: float | None = None


class ListSessionsResponse(WireModel):
    """A page of sessions (without their events); pass ``next_page_token`` for the next."""

    sessions: list[Session] = Field(default_factory=list)
    next_page_token: str | None = None


class ListEventsResponse(WireModel):
    """A page of a session's events, oldest first; pass ``next_page_token`` for the next."""

    events: list[Event] = Field(default_factory=list)
    next_page_token: str | None = None
