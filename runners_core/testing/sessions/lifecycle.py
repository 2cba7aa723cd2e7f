"""Creating, loading and deleting sessions; writing to sessions that do not exist."""

from __future__ import annotations

import pytest

from runners_core.errors import SessionExistsError, SessionNotFoundError
from runners_core.sessions.base import BaseSessionService
from runners_core.testing.builders import agent_event, unique, user_event
from runners_core.testing.sessions.suite import SessionSuite, ids

CAPABILITY = None


class Lifecycle(SessionSuite):
    async def test_create_then_get_returns_the_session(self, service: BaseSessionService) -> None:
        app, user = unique("app"), unique("user")
        created = await service.create_session(
            app_name=app, user_id=user, session_id="s-1", state={"topic": "tides"}
        )
        assert (created.app_name, created.user_id, created.id) == (app, user, "s-1"), (
            "create: the returned session must carry the given app, user and id"
        )
        assert created.state == {"topic": "tides"} and created.events == [], (
            f"create: the returned session must have the given state and no events: {created}"
        )
        loaded = await service.get_session(app_name=app, user_id=user, session_id="s-1")
        assert loaded is not None, "create/get: a created session must be loadable"
        assert (loaded.app_name, loaded.user_id, loaded.id) == (app, user, "s-1"), (
            "create/get: the loaded session must carry its app, user and id"
        )
        assert loaded.state == {"topic": "tides"}, "create/get: initial state was not stored"
        assert loaded.events == [], "create/get: a new session must have no events"

    async def test_create_without_id_generates_distinct_ids(
        self, service: BaseSessionService
    ) -> None:
        app, user = unique("app"), unique("user")
        made = [await service.create_session(app_name=app, user_id=user) for _ in range(5)]
        assert all(s.id for s in made), "create: a generated session id must not be empty"
        assert len({s.id for s in made}) == 5, "create: generated session ids must be unique"

    async def test_create_with_taken_id_raises_session_exists(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service, session_id="dup", state={"k": 1})
        await service.append_event(session, user_event("keep me"))
        with pytest.raises(SessionExistsError):
            await service.create_session(
                app_name=session.app_name, user_id=session.user_id, session_id="dup", state={}
            )
        kept = await self.reload(service, session)
        assert kept.state == {"k": 1} and len(kept.events) == 1, (
            "duplicate create: a rejected create_session must not touch the existing session"
        )

    async def test_get_missing_session_returns_none(self, service: BaseSessionService) -> None:
        got = await service.get_session(
            app_name=unique("app"), user_id=unique("user"), session_id="nope"
        )
        assert got is None, "get: a session that was never created must load as None"

    async def test_delete_then_get_returns_none(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        await service.append_event(session, user_event())
        await service.delete_session(
            app_name=session.app_name, user_id=session.user_id, session_id=session.id
        )
        got = await service.get_session(
            app_name=session.app_name, user_id=session.user_id, session_id=session.id
        )
        assert got is None, "delete: get_session must return None after delete_session"
        listed = await service.list_sessions(app_name=session.app_name)
        assert session.id not in [s.id for s in listed.sessions], (
            "delete: a deleted session must not be listed"
        )

    async def test_delete_missing_session_is_not_an_error(
        self, service: BaseSessionService
    ) -> None:
        await service.delete_session(
            app_name=unique("app"), user_id=unique("user"), session_id="never-there"
        )

    async def test_delete_keeps_app_and_user_state(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        await service.append_event(
            session, agent_event(state_delta={"app:shared": 1, "user:pref": "dark", "own": 2})
        )
        await service.delete_session(
            app_name=session.app_name, user_id=session.user_id, session_id=session.id
        )
        other = await self.new_session(service, app_name=session.app_name, user_id=session.user_id)
        assert other.state == {"app:shared": 1, "user:pref": "dark"}, (
            "delete: deleting a session must keep app: and user: state and drop its own keys; "
            f"a new session of the same user sees {other.state}"
        )

    async def test_recreate_after_delete_starts_empty(self, service: BaseSessionService) -> None:
        session = await self.new_session(service, session_id="again", state={"old": True})
        await service.append_event(session, user_event("old message"))
        await service.delete_session(
            app_name=session.app_name, user_id=session.user_id, session_id="again"
        )
        fresh = await service.create_session(
            app_name=session.app_name, user_id=session.user_id, session_id="again"
        )
        loaded = await self.reload(service, fresh)
        assert loaded.events == [] and "old" not in loaded.state, (
            "delete: a session re-created under a deleted id must not inherit its events "
            f"or state (found {len(loaded.events)} events, state {loaded.state})"
        )

    async def test_append_after_delete_raises_session_not_found(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        await service.delete_session(
            app_name=session.app_name, user_id=session.user_id, session_id=session.id
        )
        with pytest.raises(SessionNotFoundError):
            await service.append_event(session, user_event("too late"))
        assert (
            await service.get_session(
                app_name=session.app_name, user_id=session.user_id, session_id=session.id
            )
            is None
        ), "append after delete: appending must not resurrect a deleted session"

    async def test_list_events_of_missing_session_raises(self, service: BaseSessionService) -> None:
        with pytest.raises(SessionNotFoundError):
            await service.list_events(
                app_name=unique("app"), user_id=unique("user"), session_id="missing"
            )

    async def test_append_updates_last_update_time(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        event = user_event(timestamp=session.last_update_time + 60.0)
        await service.append_event(session, event)
        loaded = await self.reload(service, session)
        assert loaded.last_update_time == pytest.approx(event.timestamp, abs=1e-3), (
            "last_update_time: after an append it must be the stored event's timestamp "
            f"({event.timestamp}), got {loaded.last_update_time}"
        )
        assert ids(loaded) == [event.id], f"append: stored ids {ids(loaded)} != [{event.id}]"
