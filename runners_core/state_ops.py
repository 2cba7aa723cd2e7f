"""Atomic state operations: changes computed from the stored value at append time.

A plain write (``ctx.state["user:n"] = 3``) stores a value the agent computed from
what it read earlier; two sessions of one user doing that at once lose one
update (per key, the last writer wins). An operation instead travels in the
event's ``actions.state_ops`` and every backend applies it to the value stored
at that moment, inside the append's own transaction, so concurrent sessions and
processes never lose one. :class:`~runners_core.sessions.state.State` records
them: ``ctx.state.increment("user:visits")``.
"""

import math
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from runners_core.errors import ValidationError

OpName = Literal["increment", "append", "add", "remove", "set_default", "compare_and_set"]

MISSING: Any = object()
"""What a reader returns for a key that is not stored."""


class StateOp(BaseModel):
    """One atomic change of one state key (see the module docstring).

    ``increment``: add ``value`` (a number) to the stored number (missing: 0).
    ``append``: add ``value`` to the end of the stored list (missing: []).
    ``add``: like ``append`` unless the list already holds an equal item (a set).
    ``remove``: remove every item equal to ``value`` from the stored list.
    ``set_default``: store ``value`` only if the key is not stored yet.
    ``compare_and_set``: store ``value`` only if the stored value equals ``expected``
    (a missing key equals None).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    op: OpName
    key: str
    value: Any = None
    expected: Any = None


def apply_op(op: StateOp, current: Any) -> Any:
    """The new value of ``op.key`` given its *current* stored value (or MISSING)."""
    name = op.op
    if name == "increment":
        base = 0 if current is MISSING or current is None else current
        if not _is_number(base):
            raise _not_a(op, current, "number")
        result = base + op.value
        if isinstance(result, float) and not math.isfinite(result):
            raise ValidationError(
                f"state_ops: incrementing {op.key!r} by {op.value!r} overflows to {result}"
            )
        return result
    if name in ("append", "add", "remove"):
        items = [] if current is MISSING or current is None else current
        if not isinstance(items, list):
            raise _not_a(op, current, "list")
        if name == "remove":
            return [item for item in items if item != op.value]
        if name == "add" and op.value in items:
            return items
        return [*items, op.value]
    if name == "set_default":
        return op.value if current is MISSING else current
    stored = None if current is MISSING else current
    return op.value if stored == op.expected else current


def resolve_ops(
    ops: list[StateOp], delta: Mapping[str, Any], read: Callable[[str], Any]
) -> dict[str, Any]:
    """The final values of every key *ops* touch, applied in order after *delta*.

    *read(key)* returns the stored value or MISSING; a key of *delta* counts as
    already written (plain writes of the same event come first).
    """
    values: dict[str, Any] = {}
    for op in ops:
        if op.key in values:
            current = values[op.key]
        elif op.key in delta:
            current = delta[op.key]
        else:
            current = read(op.key)
        values[op.key] = apply_op(op, current)
    return {key: value for key, value in values.items() if value is not MISSING}


def check_op(op: object) -> StateOp:
    """Raise ValidationError unless *op* is a usable StateOp."""
    if not isinstance(op, StateOp):
        raise ValidationError(
            f"state_ops holds a {type(op).__name__}; use ctx.state.increment(...) and friends "
            "or runners_core.StateOp"
        )
    if op.op == "increment" and not _is_number(op.value):
        raise ValidationError(
            f"state_ops: increment of {op.key!r} needs a number, got {op.value!r}"
        )
    return op


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _not_a(op: StateOp, current: Any, kind: str) -> ValidationError:
    return ValidationError(
        f"state_ops: cannot {op.op} {op.key!r}: it holds {current!r} "
        f"({type(current).__name__}), not a {kind}"
    )
