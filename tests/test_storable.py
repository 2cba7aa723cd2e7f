"""The quick yes/no check of an event's storability agrees with the walk that names problems."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from runners_core import Content, Event, EventActions
from runners_core.errors import ValidationError
from runners_core.sessions import storable


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def _nested_dict(depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


# Around the depth limit, for both container kinds and for leaves that are None or not.
AT_THE_LIMIT = [
    make(depth, leaf)
    for depth in range(storable.MAX_DEPTH - 6, storable.MAX_DEPTH + 2)
    for leaf in (None, 1, "x")
    for make in (_nested_dict, lambda depth, leaf: [_nested(depth - 1)] if leaf else [leaf])
]

VALUES = [
    *AT_THE_LIMIT,
    "text",
    "caf\u00e9",
    "\ud800 lone surrogate",
    1,
    True,
    1.5,
    float("inf"),
    float("nan"),
    None,
    [],
    {},
    {"a": [1, {"b": "c"}]},
    {"\udfff": 1},
    {1: "int key"},
    (1, 2),
    _nested(storable.MAX_DEPTH - 5),
    _nested(storable.MAX_DEPTH + 5),
    {"when": datetime.date(2026, 1, 1)},
    {"model": EventActions()},
    b"bytes",
]


def _walk_passes(event: Event) -> bool:
    try:
        storable._walk_model(event, "event", 0)
    except ValidationError:
        return False
    return True


CASES = [
    *((where, value) for where in ("state_delta", "custom_metadata") for value in VALUES),
    *(("text", value) for value in VALUES if isinstance(value, str)),
]


def _event(where: str, value: Any) -> Event:
    if where == "state_delta":
        return Event(author="a", actions=EventActions(state_delta={"k": value}))
    if where == "custom_metadata":
        return Event(author="a", custom_metadata={"k": value})
    return Event(author="a", content=Content.from_text(value))


@pytest.mark.parametrize(("where", "value"), CASES, ids=repr)
def test_the_quick_check_says_no_exactly_when_the_walk_raises(where: str, value: Any) -> None:
    event = _event(where, value)
    passes = _walk_passes(event)
    assert storable._model_is_plain(event, 0) == passes
    if passes:
        storable.check_event_storable(event)
    else:
        with pytest.raises(ValidationError, match="event"):
            storable.check_event_storable(event)


def test_some_cases_pass_and_some_fail() -> None:
    verdicts = {_walk_passes(_event(where, value)) for where, value in CASES}
    assert verdicts == {True, False}
