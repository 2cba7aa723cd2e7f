"""A google.adk session service backed by any runners-core session backend."""

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
from google.adk.sessions.state import State as AdkState

from runners_adk.cache import HistoryCache
from runners_adk.convert import event_from_adk, session_to_adk
from runners_adk.urls import backend_url
from runners_core.errors import ValidationError
from runners_core.sessions.base import BaseSessionService
from runners_core.sessions.session import GetSessionConfig, Session


class RunnersSessionService(AdkBaseSessionService):
    """An ADK ``BaseSessionService`` that stores in a runners-core backend.

    Build it from a URL (``RunnersSessionService("runners+sqlite:///app.db")``,
    the form ADK's ``services.yaml`` uses) or around a ready runners-core
    service (``RunnersSessionService(service=svc)``). What the backend adds
    reaches ADK's Runner: appends are transactional and idempotent by event id,
    two writers never get "database is locked" or a stale-session error, and
    ``get_session`` with ``num_recent_events`` reads only the tail.
    """

    def __init__(
        self,
        uri: str | None = None,
        *,
        service: BaseSessionService | None = None,
        agents_dir: str | None = None,
        **options: Any,
    ) -> None:
        # ADK's CLI builds services.yaml classes as cls(uri=..., agents_dir=...);
        # the agents folder means nothing to a backend URL, so it is not passed on.
        del agents_dir
        if (uri is None) == (service is None):
            raise ValidationError(
                "RunnersSessionService takes a backend URL or service=..., exactly one of them"
            )
        if service is None:
            from runners_core.services import session_service_from_url

            service = session_service_from_url(backend_url(uri), **options)  # type: ignore[arg-type]
            self._owned = True
        else:
            self._owned = False
        if not isinstance(service, BaseSessionService):
            raise ValidationError(
                f"service must be a runners_core BaseSessionService, got {type(service).__name__}"
            )
        self.service = service
        self._history = HistoryCache()

    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        state: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> AdkSession:
        created = await self.service.create_session(
            app_name=app_name, user_id=user_id, state=state, session_id=session_id
        )
        return session_to_adk(created)

    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        config: AdkGetSessionConfig | None = None,
    ) -> AdkSession | None:
        ours = None
        if config is not None:
            ours = GetSessionConfig(
                num_recent_events=config.num_recent_events,
                after_timestamp=config.after_timestamp,
            )
        loaded = await self.service.get_session(
            app_name=app_name, user_id=user_id, session_id=session_id, config=ours
        )
        if loaded is None:
            return None
        if ours is None:
            key = (app_name, user_id, session_id)
            return session_to_adk(loaded, self._history.to_adk(key, loaded.events))
        return session_to_adk(loaded, [self._history.events.to_adk(e) for e in loaded.events])

    async def list_sessions(
        self, *, app_name: str, user_id: str | None = None
    ) -> AdkListSessionsResponse:
        # ADK lists everything at once, oldest update first; ours pages.
        sessions: list[AdkSession] = []
        token: str | None = None
        while True:
            page = await self.service.list_sessions(
                app_name=app_name, user_id=user_id, page_token=token, page_size=1000
            )
            sessions.extend(session_to_adk(s) for s in page.sessions)
            token = page.next_page_token
            if not token:
                break
        sessions.sort(key=lambda s: s.last_update_time)
        return AdkListSessionsResponse(sessions=sessions)

    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        await self.service.delete_session(app_name=app_name, user_id=user_id, session_id=session_id)
        self._history.forget((app_name, user_id, session_id))

    async def get_user_state(self, *, app_name: str, user_id: str) -> dict[str, Any]:
        """A user's state without a session, keys without the ``user:`` prefix (as ADK's)."""
        prefixed = await self.service.get_user_state(app_name=app_name, user_id=user_id)
        cut = len(AdkState.USER_PREFIX)
        return {key[cut:]: value for key, value in prefixed.items()}

    async def append_event(self, session: AdkSession, event: AdkEvent) -> AdkEvent:
        """Store *event*, then update the in-memory *session* as ADK's base class does."""
        if event.partial:
            return event
        stored = await self.store_event(session, event)
        if stored is None:
            return event  # already stored (same id): nothing changes, as in runners-core
        await super().append_event(session, event)
        session.last_update_time = stored.timestamp
        return event

    async def store_event(self, session: AdkSession, event: AdkEvent) -> Any:
        """Store *event* in the backend only; the stored runners-core event, or None if
        an event with its id was already stored."""
        shadow = Session.model_construct(
            id=session.id,
            app_name=session.app_name,
            user_id=session.user_id,
            state={},
            events=[],
            last_update_time=session.last_update_time,
        )
        stored = await self.service.append_event(shadow, event_from_adk(event))
        if not shadow.events:
            return None
        if stored.actions.state_delta == (event.actions.state_delta if event.actions else {}):
            self._history.events.remember(stored, event)
        # The next full load then checks this event, among the newest (see cache.py).
        held = session.events
        key = (session.app_name, session.user_id, session.id)
        self._history.extend(key, len(held), held[-1] if held else None, stored)
        return stored

    async def close(self) -> None:
        """Close the backend if this adapter built it from a URL."""
        if self._owned:
            await self.service.close()
