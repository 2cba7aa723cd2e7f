"""Sessions kept in this process's memory: for tests, prototypes and the conformance kit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from runners_core.errors import SessionExistsError
from runners_core.events import Event
from runners_core.sessions.base import (
    BaseSessionService,
    EventRecord,
    StoredSession,
    missing_session,
)
from runners_core.state_ops import MISSING

# How many of the newest events a load copies; older ones are read if asked for.
_TAIL = 32


@dataclass
class _Row:
    state: dict[str, Any]
    last_update_time: float
    payloads: list[str] = field(default_factory=list)  # stored JSON, append-only
    timestamps: list[float] = field(default_factory=list)
    event_ids: set[str] = field(default_factory=set)


class InMemorySessionService(BaseSessionService):
    """Keeps everything in dictionaries; nothing survives the process.

    Events are kept as their stored JSON, as a database keeps them: every load
    decodes its own event objects (only those it reads), so changing a loaded
    event never changes what later loads return.
    """

    capabilities: ClassVar[frozenset[str]] = frozenset({"retention"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._sessions: dict[tuple[str, str, str], _Row] = {}
        self._app_state: dict[str, dict[str, Any]] = {}
        self._user_state: dict[tuple[str, str], dict[str, Any]] = {}

    def _stored(
        self, key: tuple[str, str, str], row: _Row, events: Sequence[Event]
    ) -> StoredSession:
        app_name, user_id, session_id = key
        return StoredSession(
            id=session_id,
            app_name=app_name,
            user_id=user_id,
            state=dict(row.state),
            app_state=dict(self._app_state.get(app_name, {})),
            user_state=dict(self._user_state.get((app_name, user_id), {})),
            last_update_time=row.last_update_time,
            events=events,
        )

    async def _get_scoped_state(
        self, *, app_name: str, user_id: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        user = {} if user_id is None else dict(self._user_state.get((app_name, user_id), {}))
        return dict(self._app_state.get(app_name, {})), user

    def _apply_scopes(
        self, app_name: str, user_id: str, app_delta: dict[str, Any], user_delta: dict[str, Any]
    ) -> None:
        if app_delta:
            self._app_state.setdefault(app_name, {}).update(app_delta)
        if user_delta:
            self._user_state.setdefault((app_name, user_id), {}).update(user_delta)

    async def _create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        state: dict[str, Any],
        app_delta: dict[str, Any],
        user_delta: dict[str, Any],
        now: float,
    ) -> StoredSession:
        key = (app_name, user_id, session_id)
        if key in self._sessions:
            raise SessionExistsError(app_name, user_id, session_id)
        row = _Row(state=dict(state), last_update_time=now)
        self._sessions[key] = row
        self._apply_scopes(app_name, user_id, app_delta, user_delta)
        return self._stored(key, row, [])

    async def _get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        num_recent_events: int | None,
        after_timestamp: float | None,
    ) -> StoredSession | None:
        key = (app_name, user_id, session_id)
        row = self._sessions.get(key)
        if row is None:
            return None
        payloads, timestamps = row.payloads, row.timestamps
        last = len(payloads)
        first = 0 if num_recent_events is None else max(0, last - num_recent_events)
        if after_timestamp is not None:
            floor = last
            while floor > first and timestamps[floor - 1] >= after_timestamp:
                floor -= 1
            first = floor
        tail = max(first, last - _TAIL)
        # Stored JSON never changes and is only appended to: the loader reads the
        # older events later by position.
        history = self.history(
            payloads[tail:last], older=tail - first, loader=lambda: payloads[first:tail]
        )
        return self._stored(key, row, history)

    async def _list_sessions(
        self, *, app_name: str, user_id: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[StoredSession]:
        keys = sorted(
            (u, s)
            for (a, u, s) in self._sessions
            if a == app_name
            and (user_id is None or u == user_id)
            and (after is None or (u, s) > after)
        )
        return [
            self._stored((app_name, u, s), self._sessions[(app_name, u, s)], [])
            for u, s in keys[:limit]
        ]

    async def _list_events(
        self, *, app_name: str, user_id: str, session_id: str, limit: int, after: int
    ) -> list[tuple[int, str]]:
        row = self._sessions.get((app_name, user_id, session_id))
        if row is None:
            raise missing_session(app_name, user_id, session_id)
        page = row.payloads[after : after + limit]
        return [(after + n, payload) for n, payload in enumerate(page, start=1)]

    async def _delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        self._sessions.pop((app_name, user_id, session_id), None)

    async def _append_event(
        self, *, app_name: str, user_id: str, session_id: str, record: EventRecord
    ) -> bool:
        row = self._sessions.get((app_name, user_id, session_id))
        if row is None:
            raise missing_session(app_name, user_id, session_id)
        if record.event.id in row.event_ids:
            return False
        app_delta, user_delta = record.app_delta, record.user_delta
        session_delta = record.session_delta
        if record.has_ops:  # nothing else runs between this read and the write below
            app_state = self._app_state.get(app_name, {})
            user_state = self._user_state.get((app_name, user_id), {})
            app_delta, user_delta, session_delta = record.deltas_with_ops(
                lambda key: app_state.get(key, MISSING),
                lambda key: user_state.get(key, MISSING),
                lambda key: row.state.get(key, MISSING),
            )
        row.payloads.append(record.json)
        row.timestamps.append(record.event.timestamp)
        row.event_ids.add(record.event.id)
        row.state.update(session_delta)
        self._apply_scopes(app_name, user_id, app_delta, user_delta)
        row.last_update_time = record.event.timestamp
        return True

    async def _delete_events(
        self, *, app_name: str, user_id: str, session_id: str, event_ids: Sequence[str]
    ) -> int:
        row = self._sessions.get((app_name, user_id, session_id))
        if row is None:
            return 0
        doomed = set(event_ids) & row.event_ids
        if doomed:
            kept = [
                (payload, at)
                for payload, at in zip(row.payloads, row.timestamps, strict=True)
                if json.loads(payload)["id"] not in doomed
            ]
            row.payloads[:] = [payload for payload, _ in kept]
            row.timestamps[:] = [at for _, at in kept]
            row.event_ids -= doomed
        return len(doomed)
