"""What every session area module shares: the service kind and a few helpers."""

from __future__ import annotations

from typing import Any

from runners_core.sessions.base import BaseSessionService
from runners_core.sessions.session import GetSessionConfig, Session
from runners_core.testing.builders import unique
from runners_core.testing.contract import ServiceContract


class SessionSuite(ServiceContract):
    """Base of the session area classes; not collected (its name does not start with Test)."""

    kind = "session"

    @staticmethod
    async def new_session(
        service: BaseSessionService,
        *,
        app_name: str | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        state: dict[str, Any] | None = None,
    ) -> Session:
        """A fresh session in a fresh app (unless one is given)."""
        return await service.create_session(
            app_name=app_name or unique("app"),
            user_id=user_id or unique("user"),
            session_id=session_id,
            state=state,
        )

    @staticmethod
    async def reload(
        service: BaseSessionService, session: Session, config: GetSessionConfig | None = None
    ) -> Session:
        """The stored form of *session*; fails the test if it is gone."""
        loaded = await service.get_session(
            app_name=session.app_name,
            user_id=session.user_id,
            session_id=session.id,
            config=config,
        )
        assert loaded is not None, (
            f"storage: session {session.id!r} was created but get_session returned None"
        )
        return loaded


def key_of(session: Session) -> dict[str, str]:
    """The ``app_name``/``user_id``/``session_id`` keywords addressing *session*."""
    return {"app_name": session.app_name, "user_id": session.user_id, "session_id": session.id}


async def paged_event_ids(
    service: BaseSessionService, session: Session, page_size: int, *, limit: int
) -> list[str]:
    """Every event id list_events returns page by page (stops after *limit* ids)."""
    seen: list[str] = []
    token = None
    while True:
        page = await service.list_events(**key_of(session), page_size=page_size, page_token=token)
        assert len(page.events) <= page_size, (
            f"event paging: a page held {len(page.events)} events, page_size={page_size}"
        )
        seen.extend(event.id for event in page.events)
        token = page.next_page_token
        if token is None or len(seen) > limit:
            return seen


def ids(session: Session) -> list[str]:
    """The ids of a session's loaded events, in order."""
    return [event.id for event in session.events]
