"""Deleting single events (capability ``"retention"``): what ``runners prune`` trims with.

``delete_events`` removes exactly the named stored events of one session, leaves the
rest (and every other session) in order, keeps the state the events produced, and
frees the ids: the same event may be appended again afterwards.
"""

from __future__ import annotations

from runners_core.capabilities import Capability
from runners_core.sessions.base import BaseSessionService
from runners_core.testing.builders import agent_event, unique
from runners_core.testing.sessions.suite import SessionSuite, ids, key_of, paged_event_ids

CAPABILITY = Capability.RETENTION


class Retention(SessionSuite):
    async def test_delete_events_removes_exactly_those(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        other = await self.new_session(service, app_name=session.app_name, user_id=session.user_id)
        for i in range(6):
            await service.append_event(session, agent_event(f"e{i}", state_delta={"n": i}))
        await service.append_event(other, agent_event("other"))
        stored = ids(await self.reload(service, session))
        removed = await service.delete_events(**key_of(session), event_ids=stored[:3])
        assert removed == 3, f"retention: delete_events returned {removed}, 3 were deleted"
        left = await self.reload(service, session)
        assert ids(left) == stored[3:], (
            f"retention: after deleting the 3 oldest events, {ids(left)} remain, "
            f"expected {stored[3:]}"
        )
        assert left.state["n"] == 5, "retention: deleting events must not change state"
        assert await paged_event_ids(service, session, 2, limit=10) == stored[3:], (
            "retention: list_events pages must skip deleted events"
        )
        assert len((await self.reload(service, other)).events) == 1, (
            "retention: deleting one session's events touched another session"
        )

    async def test_a_long_history_with_deleted_events_reads_whole(
        self, service: BaseSessionService
    ) -> None:
        # Long enough that a backend fetching only the newest rows must fetch older ones:
        # deleted events leave gaps that the loaded length and indexes must not count.
        session = await self.new_session(service)
        for i in range(70):
            await service.append_event(session, agent_event(f"e{i}"))
        stored = ids(await self.reload(service, session))
        doomed = stored[2:7] + stored[50:52]
        await service.delete_events(**key_of(session), event_ids=doomed)
        kept = [i for i in stored if i not in doomed]
        left = await self.reload(service, session)
        assert len(left.events) == len(kept), (
            f"retention: after deleting 7 of 70 events, len(session.events) is "
            f"{len(left.events)}, expected {len(kept)}"
        )
        assert [left.events[i].id for i in (0, 2, -40, -1)] == [kept[i] for i in (0, 2, -40, -1)], (
            "retention: after deleting events, indexing session.events must skip them"
        )
        assert ids(await self.reload(service, session)) == kept, (
            "retention: after deleting events, iterating session.events must skip them"
        )

    async def test_unknown_ids_and_missing_sessions_delete_nothing(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        await service.append_event(session, agent_event("kept"))
        removed = await service.delete_events(**key_of(session), event_ids=["no-such-event"])
        assert removed == 0 and len((await self.reload(service, session)).events) == 1, (
            "retention: delete_events with an unknown id must delete nothing"
        )
        missing = await service.delete_events(
            app_name=session.app_name,
            user_id=session.user_id,
            session_id=unique("gone"),
            event_ids=["x"],
        )
        assert missing == 0, "retention: delete_events on a missing session must delete nothing"

    async def test_a_deleted_event_may_be_appended_again(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        event = agent_event("again")
        await service.append_event(session, event.model_copy(deep=True))
        await service.delete_events(**key_of(session), event_ids=[event.id])
        fresh = await self.reload(service, session)
        await service.append_event(fresh, event.model_copy(deep=True))
        assert ids(await self.reload(service, session)) == [event.id], (
            "retention: an event whose id was deleted must be storable again"
        )

    async def test_appends_continue_in_order_after_a_delete(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        for i in range(4):
            await service.append_event(session, agent_event(f"e{i}"))
        stored = ids(await self.reload(service, session))
        await service.delete_events(**key_of(session), event_ids=stored[:2])
        later = agent_event("later")
        await service.append_event(await self.reload(service, session), later)
        assert ids(await self.reload(service, session)) == [*stored[2:], later.id], (
            "retention: an event appended after a delete must come after the kept ones"
        )
