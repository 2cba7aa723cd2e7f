"""Rewinding a session: which events a rewind removes, and the state it restores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runners_core.events import Event
from runners_core.sessions.session import Session
from runners_core.sessions.state import State

_SHARED_PREFIXES = (State.APP_PREFIX, State.USER_PREFIX, State.TEMP_PREFIX)


def live_events(events: Sequence[Event]) -> list[Event]:
    """*events* without the ones rewinds removed (each rewind event and what it undid).

    A rewind event (``actions.rewind_before_invocation_id == X``) removes itself
    and everything from the first event of invocation X up to it.
    """
    if not any(e.actions.rewind_before_invocation_id for e in events):
        return list(events)
    first: dict[str, int] = {}
    for index, event in enumerate(events):
        first.setdefault(event.invocation_id, index)
    kept: list[Event] = []
    index = len(events) - 1
    while index >= 0:
        target = events[index].actions.rewind_before_invocation_id
        if target and first.get(target, index + 1) <= index:
            index = first[target] - 1
            continue
        kept.append(events[index])
        index -= 1
    kept.reverse()
    return kept


def rewound_state(session: Session, start: int) -> dict[str, Any]:
    """The state delta that puts the session's own keys back as they were before *start*."""
    then: dict[str, Any] = {}
    for event in session.events[:start]:
        for key, value in event.actions.state_delta.items():
            if key.startswith(_SHARED_PREFIXES):
                continue
            if value is None:
                then.pop(key, None)
            else:
                then[key] = value
    delta = {key: value for key, value in then.items() if session.state.get(key) != value}
    for key in session.state:
        if not key.startswith(_SHARED_PREFIXES) and key not in then:
            delta[key] = None
    return delta
