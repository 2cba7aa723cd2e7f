"""ctx.state's atomic operations: what they record, what reads show, what they refuse."""

from __future__ import annotations

import asyncio

import pytest

from runners_core import BaseAgent, Content, InMemoryRunner
from runners_core.errors import ValidationError
from runners_core.sessions.state import State


def test_operations_are_recorded_and_reads_show_their_result() -> None:
    value = {"user:n": 1, "tags": ["a"]}
    delta: dict = {}
    ops: list = []
    state = State(value, delta, ops)
    assert state.increment("user:n", 2) == 3
    assert state["user:n"] == 3 and value["user:n"] == 1 and delta == {}
    assert state.add("tags", "a") == ["a"] and state.append("tags", "b") == ["a", "b"]
    assert state.remove("tags", "a") == ["b"]
    assert state.setdefault("fresh", 7) == 7 and state.setdefault("user:n", 0) == 3
    assert state.compare_and_set("status", None, "open") is True
    assert state.compare_and_set("user:n", 99, 0) is False and state["user:n"] == 3
    assert [op.op for op in ops] == [
        "increment",
        "add",
        "append",
        "remove",
        "set_default",
        "set_default",
        "compare_and_set",
        "compare_and_set",
    ]
    assert set(state) == {"user:n", "tags", "fresh", "status"} and len(state) == 4
    assert state.to_dict() == {"user:n": 3, "tags": ["b"], "fresh": 7, "status": "open"}
    assert state.has_delta()


def test_a_plain_write_replaces_earlier_operations_on_the_key() -> None:
    ops: list = []
    state = State({"n": 1}, {}, ops)
    state.increment("n")
    state["n"] = 10
    assert ops == [] and state["n"] == 10
    state.increment("n")
    assert state["n"] == 11


def test_operations_refuse_wrong_types_and_unstorable_values_at_once() -> None:
    state = State({"name": "ann"}, {}, [])
    with pytest.raises(ValidationError, match="'name'"):
        state.increment("name")
    with pytest.raises(ValidationError, match="number"):
        state.increment("n", "1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="inf"):
        state.append("l", float("inf"))
    with pytest.raises(ValidationError, match="object"):
        state.setdefault("o", object())
    assert state._ops == []


class Visits(BaseAgent):
    async def _run_async_impl(self, ctx):
        ctx.state.increment("user:visits")
        yield ctx.event("one")
        ctx.state.increment("user:visits", 10)


def test_the_runner_stores_operations_with_the_next_event() -> None:
    runner = InMemoryRunner(Visits(name="visits"), auto_create_session=True)
    events = list(runner.run(user_id="u", session_id="s", new_message=Content.from_text("x")))
    assert [len(e.actions.state_ops) for e in events] == [1, 1]
    assert events[0].actions.state_ops[0].key == "user:visits"
    list(runner.run(user_id="u", session_id="t", new_message=Content.from_text("x")))
    loaded = asyncio.run(
        runner.session_service.get_session(app_name=runner.app_name, user_id="u", session_id="s")
    )
    assert loaded.state["user:visits"] == 22
