"""State scopes and the :class:`State` view agents read and write through.

Keys prefixed ``app:`` are shared by every user and session of an app, ``user:``
by all sessions of one user, ``temp:`` live for a single invocation and are
never stored; every other key belongs to the session.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, NamedTuple


class State(MutableMapping[str, Any]):
    """A session's state with a pending delta on top.

    Reads see the pending writes; writes go only to the delta, which the runner
    attaches to the next event so that the change is stored with it.
    """

    APP_PREFIX = "app:"
    USER_PREFIX = "user:"
    TEMP_PREFIX = "temp:"

    def __init__(self, value: dict[str, Any], delta: dict[str, Any]):
        self._value = value
        self._delta = delta

    def __getitem__(self, key: str) -> Any:
        if key in self._delta:
            return self._delta[key]
        return self._value[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._delta[key] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("state keys cannot be deleted; set the key to None instead")

    def __iter__(self) -> Iterator[str]:
        yield from self._value
        yield from (k for k in self._delta if k not in self._value)

    def __len__(self) -> int:
        return len(self._value) + sum(1 for k in self._delta if k not in self._value)

    def has_delta(self) -> bool:
        return bool(self._delta)

    def to_dict(self) -> dict[str, Any]:
        return {**self._value, **self._delta}


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
