"""State scopes: ``app:`` keys per app, ``user:`` keys per user, ``temp:`` keys never stored."""

from __future__ import annotations

from runners_core.sessions.base import BaseSessionService
from runners_core.testing.builders import agent_event, state_event, unique
from runners_core.testing.sessions.suite import SessionSuite

CAPABILITY = None


class StateScopes(SessionSuite):
    async def test_session_keys_stay_in_their_session(self, service: BaseSessionService) -> None:
        first = await self.new_session(service)
        await service.append_event(first, state_event({"draft": "v1"}))
        second = await self.new_session(service, app_name=first.app_name, user_id=first.user_id)
        assert "draft" not in (await self.reload(service, second)).state, (
            "session scope: an unprefixed key must stay in the session that set it"
        )
        assert (await self.reload(service, first)).state.get("draft") == "v1", (
            "session scope: an unprefixed key must be stored in its session"
        )

    async def test_app_keys_are_shared_by_every_user_of_the_app(
        self, service: BaseSessionService
    ) -> None:
        app = unique("app")
        alice = await self.new_session(service, app_name=app, user_id="alice")
        bob = await self.new_session(service, app_name=app, user_id="bob")
        await service.append_event(alice, state_event({"app:motd": "hi all"}))
        seen = (await self.reload(service, bob)).state
        assert seen.get("app:motd") == "hi all", (
            "app: scope: a key written in one user's session must be visible in another "
            f"user's existing session of the same app; bob sees {seen}"
        )
        late = await self.new_session(service, app_name=app, user_id="carol")
        assert late.state.get("app:motd") == "hi all", (
            "app: scope: a session created later must start with the app's state"
        )

    async def test_user_keys_are_shared_by_that_users_sessions_only(
        self, service: BaseSessionService
    ) -> None:
        app = unique("app")
        first = await self.new_session(service, app_name=app, user_id="alice")
        second = await self.new_session(service, app_name=app, user_id="alice")
        bob = await self.new_session(service, app_name=app, user_id="bob")
        await service.append_event(first, state_event({"user:lang": "fr"}))
        assert (await self.reload(service, second)).state.get("user:lang") == "fr", (
            "user: scope: a key written in one session must be visible in the same user's "
            "other sessions"
        )
        assert "user:lang" not in (await self.reload(service, bob)).state, (
            "user: scope: a user's key leaked into another user's session"
        )

    async def test_temp_keys_are_live_but_never_stored(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        event = agent_event(state_delta={"temp:scratch": 41, "kept": 1})
        stored = await service.append_event(session, event)
        assert session.state.get("temp:scratch") == 41, (
            "temp: scope: the live session object must show temp: keys after append_event"
        )
        assert "temp:scratch" not in stored.actions.state_delta, (
            "temp: scope: the stored event must not carry temp: keys in its state_delta"
        )
        assert "temp:scratch" not in event.actions.state_delta, (
            "temp: scope: append_event must trim temp: keys from the caller's event, as ADK's"
            " does (docs/migrating-from-adk.md)"
        )
        loaded = await self.reload(service, session)
        assert "temp:scratch" not in loaded.state, "temp: scope: a temp: key was stored"
        assert all("temp:scratch" not in e.actions.state_delta for e in loaded.events), (
            "temp: scope: a stored event kept its temp: key"
        )
        assert loaded.state.get("kept") == 1, (
            "temp: scope: dropping temp: keys must keep the other keys of the same delta"
        )

    async def test_create_state_updates_every_scope(self, service: BaseSessionService) -> None:
        app = unique("app")
        session = await self.new_session(
            service,
            app_name=app,
            user_id="alice",
            state={"app:plan": "pro", "user:name": "Alice", "temp:x": 1, "own": True},
        )
        expected = {"app:plan": "pro", "user:name": "Alice", "own": True}
        assert (await self.reload(service, session)).state == expected, (
            "create scopes: create_session state must be split into app:, user: and session "
            "scopes with temp: keys dropped"
        )
        other = await self.new_session(service, app_name=app, user_id="alice")
        assert other.state == {"app:plan": "pro", "user:name": "Alice"}, (
            f"create scopes: another session of the user must see app:/user: keys: {other.state}"
        )

    async def test_later_writes_replace_earlier_values(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        await service.append_event(session, state_event({"n": 1, "app:n": 1, "user:n": 1}))
        await service.append_event(session, state_event({"n": 2, "app:n": 2, "user:n": 2}))
        await service.append_event(session, state_event({"cleared": None}))
        state = (await self.reload(service, session)).state
        assert tuple(state.get(k) for k in ("n", "app:n", "user:n")) == (2, 2, 2), (
            f"state updates: the latest write of each key must win, got {state}"
        )
        assert "cleared" in state and state["cleared"] is None, (
            "state updates: a key set to None must be stored with the value None"
        )

    async def test_live_session_state_matches_stored_state(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        await service.append_event(
            session, state_event({"a": 1, "app:b": 2, "user:c": 3, "temp:d": 4})
        )
        loaded = await self.reload(service, session)
        live = {k: v for k, v in session.state.items() if not k.startswith("temp:")}
        assert live == loaded.state, (
            f"state merge: the live session shows {live} but the stored session {loaded.state}"
        )

    async def test_listed_sessions_carry_their_state(self, service: BaseSessionService) -> None:
        session = await self.new_session(service, state={"own": 1, "user:u": 2, "app:a": 3})
        listed = await service.list_sessions(app_name=session.app_name, user_id=session.user_id)
        states = {s.id: s.state for s in listed.sessions}
        assert states.get(session.id) == {"own": 1, "user:u": 2, "app:a": 3}, (
            f"list state: list_sessions must return each session's merged state, got {states}"
        )

    async def test_app_and_user_state_read_without_a_session(
        self, service: BaseSessionService
    ) -> None:
        app = unique("app")
        session = await service.create_session(
            app_name=app, user_id="ada", state={"app:theme": "dark", "user:name": "Ada", "k": 1}
        )
        await service.append_event(session, state_event({"user:visits": 2}))
        assert await service.get_app_state(app_name=app) == {"app:theme": "dark"}, (
            "app: scope: get_app_state must return the app's app: keys"
        )
        assert await service.get_user_state(app_name=app, user_id="ada") == {
            "user:name": "Ada",
            "user:visits": 2,
        }, "user: scope: get_user_state must return that user's user: keys"
        assert await service.get_user_state(app_name=app, user_id="bob") == {}, (
            "user: scope: another user's user: keys must not be returned"
        )
        assert await service.get_app_state(app_name=unique("app")) == {}, (
            "app: scope: an app without state must read as {}"
        )

    async def test_app_and_user_state_outlive_their_sessions(
        self, service: BaseSessionService
    ) -> None:
        app = unique("app")
        session = await service.create_session(
            app_name=app, user_id="ada", state={"app:theme": "dark", "user:name": "Ada"}
        )
        await service.delete_session(app_name=app, user_id="ada", session_id=session.id)
        assert await service.get_app_state(app_name=app) == {"app:theme": "dark"}, (
            "app: scope: app: keys must stay readable after the sessions are deleted"
        )
        assert await service.get_user_state(app_name=app, user_id="ada") == {"user:name": "Ada"}, (
            "user: scope: user: keys must stay readable after the sessions are deleted"
        )
