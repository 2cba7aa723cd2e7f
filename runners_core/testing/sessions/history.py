"""Event history: what is stored, in which order, and how GetSessionConfig limits it."""

from __future__ import annotations

from runners_core.sessions.base import BaseSessionService
from runners_core.sessions.session import GetSessionConfig, Session
from runners_core.testing.builders import agent_event, user_event
from runners_core.testing.sessions.suite import SessionSuite, ids

CAPABILITY = None

BASE_TIME = 1_700_000_000.0


class History(SessionSuite):
    async def _ten_events(self, service: BaseSessionService) -> tuple[Session, list[str]]:
        session = await self.new_session(service)
        appended = []
        for i in range(10):
            event = agent_event(f"step {i}", timestamp=BASE_TIME + i)
            appended.append((await service.append_event(session, event)).id)
        return session, appended

    async def test_partial_events_are_not_stored(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        chunk = agent_event("stream chunk", partial=True, state_delta={"from_partial": 1})
        returned = await service.append_event(session, chunk)
        assert returned.id == chunk.id, "partial events: append_event must return the event"
        final = await service.append_event(session, agent_event("whole answer"))
        loaded = await self.reload(service, session)
        assert ids(loaded) == [final.id], (
            f"partial events: a partial event was stored (stored ids {ids(loaded)})"
        )
        assert "from_partial" not in loaded.state, (
            "partial events: a partial event's state_delta was applied"
        )

    async def test_events_load_in_append_order(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        # Equal and decreasing timestamps: order is the order of appends, not of clocks.
        stamps = [BASE_TIME + 5, BASE_TIME + 5, BASE_TIME + 1, BASE_TIME + 9]
        appended = [
            (await service.append_event(session, user_event(f"m{i}", timestamp=t))).id
            for i, t in enumerate(stamps)
        ]
        assert ids(await self.reload(service, session)) == appended, (
            "ordering: get_session must return events in the order they were appended"
        )
        page = await service.list_events(
            app_name=session.app_name, user_id=session.user_id, session_id=session.id
        )
        assert [e.id for e in page.events] == appended, (
            "ordering: list_events must return events in the order they were appended"
        )

    async def test_live_session_tracks_its_appends(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        first = await service.append_event(session, user_event("one"))
        second = await service.append_event(session, agent_event("two", state_delta={"k": 2}))
        assert ids(session) == [first.id, second.id], (
            "live session: append_event must add the stored event to session.events"
        )
        assert session.state.get("k") == 2, (
            "live session: append_event must apply the delta to session.state"
        )

    async def test_num_recent_events_keeps_the_last_n(self, service: BaseSessionService) -> None:
        session, appended = await self._ten_events(service)
        for n, expected in ((3, appended[-3:]), (1, appended[-1:]), (25, appended), (0, [])):
            got = ids(await self.reload(service, session, GetSessionConfig(num_recent_events=n)))
            assert got == expected, (
                f"num_recent_events: with num_recent_events={n} expected the last "
                f"{len(expected)} events in order, got {len(got)}: {got}"
            )

    async def test_after_timestamp_keeps_events_at_or_after_it(
        self, service: BaseSessionService
    ) -> None:
        session, appended = await self._ten_events(service)
        config = GetSessionConfig(after_timestamp=BASE_TIME + 6)
        got = ids(await self.reload(service, session, config))
        assert got == appended[6:], (
            "after_timestamp: expected the events with timestamp >= after_timestamp "
            f"(inclusive), oldest first; got {len(got)} of them"
        )
        later = ids(await self.reload(service, session, GetSessionConfig(after_timestamp=2e9)))
        assert later == [], "after_timestamp: a bound after every event must load none"

    async def test_limits_combine(self, service: BaseSessionService) -> None:
        session, appended = await self._ten_events(service)
        both = GetSessionConfig(num_recent_events=2, after_timestamp=BASE_TIME + 5)
        assert ids(await self.reload(service, session, both)) == appended[-2:], (
            "GetSessionConfig: num_recent_events and after_timestamp must both apply"
        )
        narrow = GetSessionConfig(num_recent_events=8, after_timestamp=BASE_TIME + 7)
        assert ids(await self.reload(service, session, narrow)) == appended[7:], (
            "GetSessionConfig: the stricter of num_recent_events and after_timestamp must win"
        )

    async def test_limited_load_keeps_the_whole_state(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        for i in range(5):
            await service.append_event(session, agent_event(state_delta={f"k{i}": i}))
        loaded = await self.reload(service, session, GetSessionConfig(num_recent_events=1))
        assert loaded.state == {f"k{i}": i for i in range(5)}, (
            "GetSessionConfig: limiting the loaded events must not limit the loaded state"
        )

    async def test_a_long_history_reads_as_a_list(self, service: BaseSessionService) -> None:
        # Long enough that a backend fetching only the newest rows must fetch older ones.
        session = await self.new_session(service)
        appended = [
            (await service.append_event(session, agent_event(f"turn {i}"))).id for i in range(70)
        ]
        loaded = await self.reload(service, session)
        events = loaded.events
        assert len(events) == 70, f"history: len(session.events) is {len(events)}, expected 70"
        assert events[-1].id == appended[-1] and events[0].id == appended[0], (
            "history: session.events[0] and [-1] must be the first and last events"
        )
        assert [e.id for e in events[5:60:7]] == appended[5:60:7], (
            "history: slicing session.events must work as on a list"
        )
        reloaded = await self.reload(service, session)
        assert [e.id for e in reversed(reloaded.events)] == appended[::-1], (
            "history: reversed(session.events) must give every event, newest first"
        )
        assert ids(await self.reload(service, session)) == appended, (
            "history: iterating session.events must give every event in order"
        )
        recent = await self.reload(service, session, GetSessionConfig(num_recent_events=50))
        assert [e.id for e in recent.events[:3]] == appended[20:23], (
            "history: the oldest of num_recent_events=50 must be the 50th newest"
        )

    async def test_events_appended_after_a_load_stay_out_of_it(
        self, service: BaseSessionService
    ) -> None:
        # A backend fetching older events on first read must fetch the load's events,
        # not a window shifted by what was appended since.
        session = await self.new_session(service)
        appended = [
            (await service.append_event(session, agent_event(f"turn {i}"))).id for i in range(70)
        ]
        loaded = await self.reload(service, session)
        recent = await self.reload(service, session, GetSessionConfig(num_recent_events=50))
        live = await self.reload(service, session)
        for i in range(5):
            await service.append_event(live, agent_event(f"later {i}"))
        assert loaded.events[0].id == appended[0] and loaded.events[-1].id == appended[-1], (
            "history: a loaded session's first and last events changed after later appends"
        )
        assert ids(loaded) == appended, (
            "history: events appended after a load appeared in it (or moved its indexes) "
            "when older events were read"
        )
        assert [e.id for e in recent.events] == appended[20:], (
            "history: num_recent_events=50 read after later appends must still be the "
            "50 newest at load time"
        )

    async def test_editing_a_loaded_session_does_not_change_history(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        for i in range(40):
            await service.append_event(session, agent_event(f"turn {i}", state_delta={"n": i}))
        loaded = await self.reload(service, session)
        expected = ids(loaded)
        for event in (loaded.events[0], loaded.events[-1]):
            assert event.content is not None, "payloads: an event's content was not stored"
            event.content.parts[0].text = "masked by a hook"
            event.actions.state_delta["n"] = "changed"
        del loaded.events[3]
        fresh = await self.reload(service, session)
        texts = [fresh.events[0].content, fresh.events[-1].content]
        assert [c.parts[0].text if c else None for c in texts] == ["turn 0", "turn 39"], (
            "history: editing a loaded session's events in place changed what a later "
            "get_session returns; loads must not share event objects with storage"
        )
        assert ids(fresh) == expected, (
            "history: deleting from a loaded session's events changed the stored history"
        )
        assert fresh.events[0].actions.state_delta == {"n": 0}, (
            "history: editing a loaded event's state_delta changed the stored event"
        )
