"""State scopes and the :class:`State` view agents read and write through.

Keys prefixed ``app:`` are shared by every user and session of an app, ``user:``
by all sessions of one user, ``temp:`` live for a single invocation and are
never stored; every other key belongs to the session.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, NamedTuple

from runners_core.sessions.storable import check_value
from runners_core.state_ops import MISSING, StateOp, apply_op, check_op


class State(MutableMapping[str, Any]):
    """A session's state with pending writes on top.

    Reads see the pending writes; writes go only to the pending delta, which the
    runner attaches to the next event so that the change is stored with it.

    A plain write stores the value as given: for ``user:`` and ``app:`` keys, which
    other sessions share, the last writer wins per key, so a read-modify-write
    (``state["user:n"] = state.get("user:n", 0) + 1``) in two sessions at once
    loses an update. The atomic operations (:meth:`increment`, :meth:`append`,
    :meth:`add`, :meth:`remove`, :meth:`setdefault`, :meth:`compare_and_set`)
    are instead applied by the backend to the value stored at append time, so
    none is ever lost. Until then reads show their expected result.
    """

    APP_PREFIX = "app:"
    USER_PREFIX = "user:"
    TEMP_PREFIX = "temp:"

    def __init__(
        self, value: dict[str, Any], delta: dict[str, Any], ops: list[StateOp] | None = None
    ):
        self._value = value
        self._delta = delta
        self._ops = ops if ops is not None else []

    def __getitem__(self, key: str) -> Any:
        if not self._ops:
            if key in self._delta:
                return self._delta[key]
            return self._value[key]
        found = self._current(key)
        if found is MISSING:
            raise KeyError(key)
        return found

    def __setitem__(self, key: str, value: Any) -> None:
        if self._ops:  # a plain write replaces what earlier operations on the key did
            self._ops[:] = [op for op in self._ops if op.key != key]
        self._delta[key] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("state keys cannot be deleted; set the key to None instead")

    def __iter__(self) -> Iterator[str]:
        yield from self._value
        yield from (k for k in self._delta if k not in self._value)
        extra = {op.key for op in self._ops if op.key not in self._value}
        yield from (k for k in extra - self._delta.keys() if self._current(k) is not MISSING)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def has_delta(self) -> bool:
        return bool(self._delta or self._ops)

    def to_dict(self) -> dict[str, Any]:
        return {key: self[key] for key in self}

    # ------------------------------------------------------------------ atomic operations

    def increment(self, key: str, amount: int | float = 1) -> int | float:
        """Add *amount* to the number stored under *key* (missing: 0), atomically.

        Returns the expected result; the stored result counts every concurrent increment.
        """
        return self._record(StateOp(op="increment", key=key, value=amount))

    def append(self, key: str, item: Any) -> list[Any]:
        """Add *item* to the end of the list stored under *key* (missing: []), atomically."""
        return self._record(StateOp(op="append", key=key, value=item))

    def add(self, key: str, item: Any) -> list[Any]:
        """Add *item* to the list under *key* unless it already holds an equal one (a set)."""
        return self._record(StateOp(op="add", key=key, value=item))

    def remove(self, key: str, item: Any) -> list[Any]:
        """Remove every item equal to *item* from the list under *key*, atomically."""
        return self._record(StateOp(op="remove", key=key, value=item))

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Store *default* under *key* only if nothing is stored there yet (set-if-absent).

        As ``dict.setdefault``, returns the value the key will hold.
        """
        return self._record(StateOp(op="set_default", key=key, value=default))

    def compare_and_set(self, key: str, expected: Any, value: Any) -> bool:
        """Store *value* under *key* only if the stored value equals *expected*.

        A missing key equals None. Returns whether it applies to the value read now;
        the backend decides again at append time against the stored value.
        """
        before = self._current(key)
        self._record(StateOp(op="compare_and_set", key=key, value=value, expected=expected))
        return (None if before is MISSING else before) == expected

    def _record(self, op: StateOp) -> Any:
        check_op(op)
        check_value(op.value, f"state[{op.key!r}] ({op.op})")
        check_value(op.expected, f"state[{op.key!r}] (compare_and_set expected)")
        result = apply_op(op, self._current(op.key))  # refuses a wrong type right away
        self._ops.append(op)
        return result

    def _current(self, key: str) -> Any:
        """The value *key* will have once the pending writes and operations apply."""
        base = self._delta[key] if key in self._delta else self._value.get(key, MISSING)
        for op in self._ops:
            if op.key == key:
                base = apply_op(op, base)
        return base


class ScopedDelta(NamedTuple):
    """A state delta split by scope; app and user keys have their prefix removed."""

    app: dict[str, Any]
    user: dict[str, Any]
    session: dict[str, Any]

    def is_empty(self) -> bool:
        return not (self.app or self.user or self.session)


def split_state_delta(delta: Mapping[str, Any]) -> ScopedDelta:
    """Split *delta* into app, user and session parts, dropping ``temp:`` keys."""
    app: dict[str, Any] = {}
    user: dict[str, Any] = {}
    session: dict[str, Any] = {}
    for key, value in delta.items():
        if key.startswith(State.APP_PREFIX):
            app[key[len(State.APP_PREFIX) :]] = value
        elif key.startswith(State.USER_PREFIX):
            user[key[len(State.USER_PREFIX) :]] = value
        elif not key.startswith(State.TEMP_PREFIX):
            session[key] = value
    return ScopedDelta(app, user, session)


def merge_state(
    session_state: Mapping[str, Any],
    app_state: Mapping[str, Any],
    user_state: Mapping[str, Any],
) -> dict[str, Any]:
    """The merged view a :class:`~runners_core.Session` exposes as ``state``."""
    merged = dict(session_state)
    for key, value in app_state.items():
        merged[State.APP_PREFIX + key] = value
    for key, value in user_state.items():
        merged[State.USER_PREFIX + key] = value
    return merged


def without_temp(delta: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in delta.items() if not k.startswith(State.TEMP_PREFIX)}
