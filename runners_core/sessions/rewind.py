"""Rewinding a session: which events a rewind removes, and the state it restores."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from runners_core.events import Event
from runners_core.sessions.session import Session
from runners_core.sessions.state import State

_SHARED_PREFIXES = (State.APP_PREFIX, State.USER_PREFIX, State.TEMP_PREFIX)


def newest_first(events: Sequence[Event]) -> Iterator[Event]:
    """*events* newest first, without those rewinds removed (each rewind event and
    what it undid: everything back to the first event of its invocation).

    It walks back lazily, so finding the latest agent reads only recent history.
    Invocations of a session run one at a time, so a rewound invocation's events are
    contiguous: the walk skips until it has passed them.
    """
    rewound: str | None = None
    passing = False
    for event in reversed(events):
        if rewound is not None:
            if event.invocation_id == rewound:
                passing = True
                continue
            if not passing:
                continue
            rewound, passing = None, False
        target = event.actions.rewind_before_invocation_id
        if target:
            rewound, passing = target, False
            continue
        yield event


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
