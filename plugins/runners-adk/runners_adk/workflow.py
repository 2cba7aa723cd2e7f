"""ADK 2.x ``Workflow`` roots (graph workflows, not ``BaseAgent``s) on our Runner.

A ``Workflow`` only runs through ADK's own node machinery (its scheduler, node
runner and event queue live in private modules), so ``AdkAgent`` hands a
``Workflow`` root to ADK's public ``Runner`` instead of calling it directly. That
Runner reads and writes sessions through :class:`InvocationSessions`, which does
not store anything: it hands out the ADK session ``AdkAgent`` built from the
runner's session for the running invocation, and applies appends in memory
only. Each event ADK's Runner yields is then stored by our Runner (hooks, run
lock, idempotent append) before ADK's node runner goes on (ADK waits for its
consumer to take an event before the node resumes), and the in-memory copy is
replaced by the event as stored, so a redacting hook's version is what later
nodes read.

Our Runner has stored the user's message before the workflow starts; ADK's
Runner is given the same invocation id, finds that message in the session and
uses it as the workflow's input without appending it again.
"""

from __future__ import annotations

from typing import Any

from google.adk.events.event import Event as AdkEvent
from google.adk.sessions.base_session_service import (
    BaseSessionService as AdkBaseSessionService,
)
from google.adk.sessions.base_session_service import (
    GetSessionConfig as AdkGetSessionConfig,
)
from google.adk.sessions.base_session_service import (
    ListSessionsResponse as AdkListSessionsResponse,
)
from google.adk.sessions.session import Session as AdkSession

from runners_core.errors import ValidationError

SessionKey = tuple[str, str, str]


class InvocationSessions(AdkBaseSessionService):
    """The sessions of invocations in flight, as ADK's Runner sees them (memory only)."""

    def __init__(self) -> None:
        self._running: dict[SessionKey, AdkSession] = {}

    def hold(self, session: AdkSession) -> None:
        """*session* is what ADK's Runner gets for its key until :meth:`release`."""
        self._running[(session.app_name, session.user_id, session.id)] = session

    def release(self, session: AdkSession) -> None:
        self._running.pop((session.app_name, session.user_id, session.id), None)

    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        config: AdkGetSessionConfig | None = None,
    ) -> AdkSession | None:
        return self._running.get((app_name, user_id, session_id))

    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        state: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> AdkSession:
        raise ValidationError(
            "a Workflow hosted by AdkAgent runs on the session runners_core.Runner loaded; "
            "create sessions with the runner's session service"
        )

    async def list_sessions(
        self, *, app_name: str, user_id: str | None = None
    ) -> AdkListSessionsResponse:
        return AdkListSessionsResponse(
            sessions=[
                s
                for (app, user, _), s in self._running.items()
                if app == app_name and user_id in (None, user)
            ]
        )

    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        raise ValidationError(
            "a Workflow hosted by AdkAgent cannot delete its session; use the runner's "
            "session service"
        )


def replace_in_memory(session: AdkSession, original: AdkEvent, stored: AdkEvent) -> None:
    """Put the event as stored where ADK's Runner appended *original*."""
    events = session.events
    for i in range(len(events) - 1, -1, -1):
        if events[i] is original:
            events[i] = stored
            return
