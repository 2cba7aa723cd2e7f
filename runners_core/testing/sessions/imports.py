"""Importing exported events in bulk (``import_events``): what ``runners import`` and
``runners migrate`` write with. The same result as appending them one by one."""

from __future__ import annotations

from runners_core.sessions.base import BaseSessionService
from runners_core.testing.builders import agent_event
from runners_core.testing.sessions.suite import SessionSuite, ids, key_of

CAPABILITY = None


class Imports(SessionSuite):
    async def test_import_events_equals_appending_them(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        events = [
            agent_event(f"e{i}", state_delta={"n": i, "app:last": i, "user:seen": [i]})
            for i in range(5)
        ]
        first = await service.import_events(**key_of(session), events=events[:3])
        again = await service.import_events(**key_of(session), events=events)
        assert (first, again) == (3, 2), (
            "idempotent append: import_events must skip ids already stored and return how "
            f"many events were new, got {first} then {again}"
        )
        loaded = await self.reload(service, session)
        assert ids(loaded) == [e.id for e in events], (
            "idempotent append: import_events must store each event once, in the given order"
        )
        assert loaded.events == events, "import_events: events must round-trip exactly"
        assert (loaded.state["n"], loaded.state["app:last"], loaded.state["user:seen"]) == (
            4,
            4,
            [4],
        ), (
            "state updates: import_events must apply every scope's delta in order "
            "(user: scope and app: scope as append_event does)"
        )
        assert loaded.last_update_time == events[-1].timestamp, (
            "import_events: the session's last update is its last event's time"
        )
