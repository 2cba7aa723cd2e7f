"""Bad input is refused with ValidationError before anything is stored."""

from __future__ import annotations

import pytest

from runners_core.errors import ValidationError
from runners_core.events import Event
from runners_core.sessions.base import BaseSessionService
from runners_core.testing.builders import BAD_IDS, bad_ids, unique, user_event
from runners_core.testing.sessions.suite import SessionSuite, ids

CAPABILITY = None


class Validation(SessionSuite):
    async def test_bad_identifiers_raise_validation_error(
        self, service: BaseSessionService
    ) -> None:
        good = {"app_name": unique("app"), "user_id": "u", "session_id": "s"}
        for field in ("app_name", "user_id", "session_id"):
            for bad in bad_ids(field):
                key = {**good, field: bad}
                for call in (service.create_session, service.get_session, service.delete_session):
                    if call == service.create_session and field == "session_id" and bad == "":
                        continue  # as in ADK, an empty id asks create_session to generate one
                    try:
                        await call(**key)
                    except ValidationError:
                        continue
                    raise AssertionError(
                        f"identifier validation: {call.__name__}({field}={bad!r}) must raise "
                        "ValidationError"
                    )
        for bad in BAD_IDS:
            with pytest.raises(ValidationError):
                await service.list_sessions(app_name=bad)  # type: ignore[arg-type]
        listed = await service.list_sessions(app_name=good["app_name"])
        assert listed.sessions == [], "identifier validation: a rejected create stored a session"

    async def test_oversize_event_is_rejected_and_not_stored(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        limit = service.max_event_bytes
        service.max_event_bytes = 64 * 1024
        try:
            big = user_event("x" * (65 * 1024))
            with pytest.raises(ValidationError):
                await service.append_event(session, big)
        finally:
            service.max_event_bytes = limit
        assert ids(await self.reload(service, session)) == [], (
            "max_event_bytes: an event over the limit was stored"
        )

    async def test_events_adk_accepts_are_stored(self, service: BaseSessionService) -> None:
        """ADK stores an agent event without invocation_id and one with the default author."""
        session = await self.new_session(service)
        no_invocation = Event(author="agent", invocation_id="")
        no_author = Event(author="")
        await service.append_event(session, no_invocation)
        await service.append_event(session, no_author)
        loaded = await self.reload(service, session)
        assert ids(loaded) == [no_invocation.id, no_author.id], (
            "event validation: events ADK accepts (no invocation_id, empty author) must be stored"
        )
        assert [e.author for e in loaded.events] == ["agent", ""], (
            "event validation: an event's author must load as it was stored"
        )
