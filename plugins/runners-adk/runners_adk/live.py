"""The session service ADK's live flow writes through when ``AdkAgent`` runs it.

In live mode our Runner stores each user message (and state delta) the agent
takes from the live queue, with its ``on_user_message`` hooks, before ``AdkAgent``
forwards it to ADK's live queue. ADK's live flow then appends its own user event
for the same message. :class:`LiveSessions` keeps that second copy out of storage:
a user event ADK appends is applied to the in-memory ADK session only, as the
event our Runner stored (so the model's history holds the stored, hooked
version once). Everything else is stored as by :class:`RunnersSessionService`.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from google.adk.events.event import Event as AdkEvent
from google.adk.sessions.base_session_service import (
    BaseSessionService as AdkBaseSessionService,
)
from google.adk.sessions.session import Session as AdkSession

from runners_adk.sessions import RunnersSessionService


class LiveSessions(RunnersSessionService):
    """A :class:`RunnersSessionService` that does not store ADK's copies of user messages."""

    def __init__(self, *, service: Any, convert: Any) -> None:
        super().__init__(service=service)
        self._convert = convert  # runners-core Event -> ADK Event
        self._stored: deque[Any] = deque()

    def taken(self, stored: Any) -> None:
        """Our Runner stored *stored* (a user event) from the live queue."""
        self._stored.append(stored)

    async def append_event(self, session: AdkSession, event: AdkEvent) -> AdkEvent:
        if event.author != "user" or event.partial or not self._stored:
            return await super().append_event(session, event)
        stored = self._convert(self._stored.popleft())
        await AdkBaseSessionService.append_event(self, session, stored)
        session.last_update_time = stored.timestamp
        return event
