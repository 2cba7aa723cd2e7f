"""Apps and users are isolated: nothing of one is visible, writable or deletable from another."""

from __future__ import annotations

import pytest

from runners_core.errors import SessionNotFoundError
from runners_core.sessions.base import BaseSessionService
from runners_core.sessions.session import Session
from runners_core.testing.builders import state_event, unique, user_event
from runners_core.testing.sessions.suite import SessionSuite, ids

CAPABILITY = None


class Isolation(SessionSuite):
    async def test_same_session_id_for_two_users_is_two_sessions(
        self, service: BaseSessionService
    ) -> None:
        app = unique("app")
        alice = await service.create_session(app_name=app, user_id="alice", session_id="s")
        bob = await service.create_session(app_name=app, user_id="bob", session_id="s")
        await service.append_event(alice, user_event("alice's secret"))
        loaded = await self.reload(service, bob)
        assert loaded.events == [], (
            "user isolation: another user's session with the same id showed this user's events"
        )

    async def test_same_session_id_in_two_apps_is_two_sessions(
        self, service: BaseSessionService
    ) -> None:
        one = await service.create_session(app_name=unique("app"), user_id="u", session_id="s")
        two = await service.create_session(app_name=unique("app"), user_id="u", session_id="s")
        await service.append_event(one, state_event({"x": 1, "user:y": 2, "app:z": 3}))
        loaded = await self.reload(service, two)
        assert loaded.events == [] and loaded.state == {}, (
            "app isolation: a session in another app with the same ids showed this app's "
            f"events or state ({len(loaded.events)} events, state {loaded.state})"
        )

    async def test_other_user_cannot_get_or_delete(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        await service.append_event(session, user_event())
        got = await service.get_session(
            app_name=session.app_name, user_id="intruder", session_id=session.id
        )
        assert got is None, "user isolation: get_session with another user id found the session"
        await service.delete_session(
            app_name=session.app_name, user_id="intruder", session_id=session.id
        )
        assert len((await self.reload(service, session)).events) == 1, (
            "user isolation: delete_session with another user id deleted the session"
        )

    async def test_other_user_cannot_append(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        forged = Session(id=session.id, app_name=session.app_name, user_id="intruder")
        with pytest.raises(SessionNotFoundError):
            await service.append_event(forged, user_event("sneaky"))
        assert ids(await self.reload(service, session)) == [], (
            "user isolation: an append addressed to another user landed in this session"
        )

    async def test_slash_app_names_stay_apart(self, service: BaseSessionService) -> None:
        """Vertex-style app names ("projects/p/...") must not collide with shorter names."""
        base = unique("app")
        nested = f"{base}/users/u"
        outer = await service.create_session(
            app_name=base, user_id="u", session_id="s", state={"app:k": "outer"}
        )
        inner = await service.create_session(
            app_name=nested, user_id="u", session_id="s", state={"app:k": "inner"}
        )
        await service.append_event(inner, user_event("inside"))
        listed = await service.list_sessions(app_name=base)
        assert [(s.app_name, s.id) for s in listed.sessions] == [(base, "s")], (
            "app isolation: an app name containing '/' leaked into a shorter app's listing"
        )
        reloaded = await self.reload(service, outer)
        assert reloaded.state == {"app:k": "outer"} and ids(reloaded) == [], (
            "app isolation: state or events of app "
            f"{nested!r} reached app {base!r}: {reloaded.state}"
        )
        again = await self.reload(service, inner)
        assert again.state == {"app:k": "inner"} and len(again.events) == 1, (
            "app isolation: an app name containing '/' must store and load its own session"
        )

    async def test_listing_never_crosses_apps(self, service: BaseSessionService) -> None:
        one, two = unique("app"), unique("app")
        await service.create_session(app_name=one, user_id="u", session_id="s1")
        await service.create_session(app_name=two, user_id="u", session_id="s2")
        listed = await service.list_sessions(app_name=one)
        assert [(s.app_name, s.id) for s in listed.sessions] == [(one, "s1")], (
            "app isolation: list_sessions returned sessions of another app"
        )

    async def test_scoped_state_never_crosses_apps_or_users(
        self, service: BaseSessionService
    ) -> None:
        app = unique("app")
        writer = await service.create_session(app_name=app, user_id="alice")
        await service.append_event(writer, state_event({"app:a": 1, "user:u": 1}))
        other_app = await service.create_session(app_name=unique("app"), user_id="alice")
        other_user = await service.create_session(app_name=app, user_id="bob")
        assert other_app.state == {}, (
            f"app isolation: app:/user: state leaked into another app: {other_app.state}"
        )
        assert other_user.state == {"app:a": 1}, (
            f"user isolation: user: state leaked into another user: {other_user.state}"
        )
