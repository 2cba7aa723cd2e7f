"""Atomic state operations: shared ``user:``/``app:`` state loses no concurrent update.

Plain writes are last-writer-wins per key; ``actions.state_ops`` (what
``ctx.state.increment(...)`` and friends record) must be applied by the backend
to the value stored at append time, inside the append's atomic unit.
"""

from __future__ import annotations

import asyncio

import pytest

from runners_core.errors import ValidationError
from runners_core.events import Event, EventActions
from runners_core.sessions.base import BaseSessionService
from runners_core.sessions.session import Session
from runners_core.state_ops import StateOp
from runners_core.testing.builders import unique
from runners_core.testing.sessions.suite import SessionSuite, ids

CAPABILITY = None

SESSIONS = 4
ROUNDS = 25


def ops_event(*ops: StateOp, delta: dict | None = None, **fields: object) -> Event:
    """An agent event carrying atomic operations (and an optional plain delta)."""
    return Event(
        author="agent",
        invocation_id="inv-ops",
        actions=EventActions(state_delta=dict(delta or {}), state_ops=list(ops)),
        **fields,  # type: ignore[arg-type]
    )


def op(name: str, key: str, value: object = None, expected: object = None) -> StateOp:
    return StateOp(op=name, key=key, value=value, expected=expected)  # type: ignore[arg-type]


async def bump_concurrently(service: BaseSessionService, sessions: list[Session]) -> None:
    """Every session appends ROUNDS events incrementing and adding to shared keys."""

    async def rounds(n: int, session: Session) -> None:
        for i in range(ROUNDS):
            await asyncio.sleep(0)  # interleave the sessions' appends
            event = ops_event(
                op("increment", "user:counter", 1),
                op("increment", "app:counter", 2),
                op("add", "user:members", f"{n}-{i}"),
                op("append", "app:log", n),
            )
            await service.append_event(session, event)

    await asyncio.gather(*(rounds(n, s) for n, s in enumerate(sessions)))


class AtomicState(SessionSuite):
    async def test_concurrent_sessions_of_one_user_lose_no_atomic_update(
        self, service: BaseSessionService
    ) -> None:
        app, user = unique("app"), unique("user")
        sessions = [
            await self.new_session(service, app_name=app, user_id=user) for _ in range(SESSIONS)
        ]
        await bump_concurrently(service, sessions)
        state = (await self.reload(service, sessions[0])).state
        total = SESSIONS * ROUNDS
        assert state.get("user:counter") == total, (
            f"atomic state: {SESSIONS} sessions of one user made {total} increments of "
            f"user:counter; {state.get('user:counter')} survived"
        )
        assert state.get("app:counter") == 2 * total, (
            f"atomic state: app:counter lost increments ({state.get('app:counter')} of {2 * total})"
        )
        members = state.get("user:members") or []
        assert sorted(members) == sorted(
            f"{n}-{i}" for n in range(SESSIONS) for i in range(ROUNDS)
        ), (
            f"atomic state: 'add' to user:members lost or duplicated items ({len(members)} of "
            f"{total})"
        )
        assert sorted(state.get("app:log") or []) == sorted(
            n for n in range(SESSIONS) for _ in range(ROUNDS)
        ), "atomic state: 'append' to app:log lost items"

    async def test_concurrent_users_of_one_app_lose_no_atomic_update(
        self, service: BaseSessionService
    ) -> None:
        app = unique("app")
        sessions = [await self.new_session(service, app_name=app) for _ in range(SESSIONS)]
        await bump_concurrently(service, sessions)
        states = [(await self.reload(service, s)).state for s in sessions]
        counters = {s.get("app:counter") for s in states}
        assert counters == {2 * SESSIONS * ROUNDS}, (
            f"atomic state: {SESSIONS} users incrementing app:counter ended with {counters}"
        )
        assert all(s.get("user:counter") == ROUNDS for s in states), (
            "atomic state: user:counter crossed users or lost increments: "
            f"{[s.get('user:counter') for s in states]}"
        )

    async def test_each_operation_applies_to_the_stored_value(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(
            service, state={"n": 5, "user:tags": ["a", "b", "a"], "app:owner": "ann"}
        )
        await service.append_event(
            session,
            ops_event(
                op("increment", "n", 2.5),
                op("increment", "user:fresh", 3),
                op("append", "user:tags", "c"),
                op("add", "user:tags", "b"),
                op("remove", "user:tags", "a"),
                op("set_default", "app:owner", "bob"),
                op("set_default", "app:since", 2024),
                op("compare_and_set", "app:owner", "zed", expected="nobody"),
                op("compare_and_set", "status", "open", expected=None),
                op("increment", "temp:scratch", 1),
                delta={"plain": 1},
            ),
        )
        expected = {
            "n": 7.5,
            "user:fresh": 3,
            "user:tags": ["b", "c"],
            "app:owner": "ann",
            "app:since": 2024,
            "status": "open",
            "plain": 1,
        }
        stored = (await self.reload(service, session)).state
        assert stored == expected, f"atomic state: operations stored {stored}, not {expected}"
        live = {k: v for k, v in session.state.items() if not k.startswith("temp:")}
        assert live == expected and session.state.get("temp:scratch") == 1, (
            f"atomic state: the live session shows {session.state} after the append"
        )

    async def test_plain_write_then_operation_in_one_event(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service, state={"user:n": 100})
        await service.append_event(
            session, ops_event(op("increment", "user:n", 1), delta={"user:n": 10})
        )
        stored = (await self.reload(service, session)).state
        assert stored["user:n"] == 11, (
            f"atomic state: a plain write and an increment of one key in one event gave "
            f"{stored['user:n']} (plain writes apply first, then operations: 11)"
        )

    async def test_a_retried_event_applies_its_operations_once(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        event = ops_event(op("increment", "n", 1), op("append", "app:l", "x"))
        for _ in range(3):
            await service.append_event(session, event)
        stored = await self.reload(service, session)
        assert (stored.state.get("n"), stored.state.get("app:l")) == (1, ["x"]), (
            f"idempotent append: re-appending one event id re-applied its state operations: "
            f"{stored.state}"
        )

    async def test_an_operation_on_the_wrong_type_stores_nothing(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service, state={"name": "ann", "app:list": 1})
        for bad in (op("increment", "name", 1), op("append", "app:list", 2)):
            with pytest.raises(ValidationError, match="name|list"):
                await service.append_event(session, ops_event(op("increment", "ok", 1), bad))
        stored = await self.reload(service, session)
        assert ids(stored) == [] and "ok" not in stored.state, (
            "atomic state: an event whose operation could not apply was partly stored"
        )
        with pytest.raises(ValidationError):
            await service.append_event(session, ops_event(op("increment", "k", "1")))
