"""Appends are idempotent by event id: a retried append stores nothing twice."""

from __future__ import annotations

from runners_core.sessions.base import BaseSessionService
from runners_core.testing.builders import state_event, user_event
from runners_core.testing.sessions.suite import SessionSuite, ids

CAPABILITY = None


class Idempotency(SessionSuite):
    async def test_reappending_an_event_id_stores_it_once(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        event = user_event("only once")
        await service.append_event(session, event)
        await service.append_event(session, event)
        stale = await self.reload(service, session)
        await service.append_event(stale, event.model_copy())
        stored = ids(await self.reload(service, session))
        assert stored.count(event.id) == 1, (
            f"idempotent append: re-appending event id {event.id} stored it "
            f"{stored.count(event.id)} times"
        )
        assert ids(session).count(event.id) == 1, (
            f"idempotent append: re-appending event id {event.id} added it to the live "
            "session's events twice"
        )

    async def test_reappending_does_not_reapply_state(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        first = state_event({"n": 1, "app:n": 1, "user:n": 1})
        await service.append_event(session, first)
        await service.append_event(session, state_event({"n": 2, "app:n": 2, "user:n": 2}))
        # A retry of the first event arrives late, through a freshly loaded session.
        retry_target = await self.reload(service, session)
        before = dict(retry_target.state)
        await service.append_event(retry_target, first)
        after = (await self.reload(service, session)).state
        assert after == before, (
            f"idempotent append: re-appending event id {first.id} re-applied its state delta "
            f"(state went from {before} to {after}; the later values must stay)"
        )
        stored = ids(await self.reload(service, session))
        assert len(stored) == 2, (
            f"idempotent append: a late retry of event id {first.id} stored it again: {stored}"
        )

    async def test_same_event_id_in_two_sessions_is_two_events(
        self, service: BaseSessionService
    ) -> None:
        one = await self.new_session(service)
        two = await self.new_session(service, app_name=one.app_name, user_id=one.user_id)
        event = user_event("forwarded")
        await service.append_event(one, event)
        await service.append_event(two, event)
        assert ids(await self.reload(service, two)) == [event.id], (
            "idempotent append: event ids are unique per session; the same id in another "
            "session must be stored there too"
        )
