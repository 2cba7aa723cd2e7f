"""Sessions in PostgreSQL: each append is one statement, so one transaction.

The append locks the session row, numbers the event after the session's last
one, skips it if its id is already stored (idempotent re-append) and otherwise
merges the scoped state deltas with jsonb ``||``, all in a single round trip.
Runs are serialised across processes with advisory locks (:mod:`.locking`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, ClassVar

import psycopg
from pydantic_core import to_json

from runners_core.errors import SessionExistsError
from runners_core.sessions.base import (
    BaseSessionService,
    EventRecord,
    StoredSession,
    missing_session,
)
from runners_core.state_ops import MISSING
from runners_postgres.locking import advisory_lock, held_lock
from runners_postgres.service import PostgresService

_CREATE = """
WITH ins AS (
    INSERT INTO sessions (app_name, user_id, id, state, create_time, update_time)
    VALUES (%(app)s, %(user)s, %(sid)s, %(state)s::jsonb, %(now)s, %(now)s)
    ON CONFLICT (app_name, user_id, id) DO NOTHING
    RETURNING pk
), app AS (
    INSERT INTO app_states (app_name, state)
    SELECT %(app)s, %(app_delta)s::jsonb FROM ins WHERE %(app_delta)s::jsonb IS NOT NULL
    ON CONFLICT (app_name) DO UPDATE SET state = app_states.state || EXCLUDED.state
    RETURNING state
), usr AS (
    INSERT INTO user_states (app_name, user_id, state)
    SELECT %(app)s, %(user)s, %(user_delta)s::jsonb FROM ins
    WHERE %(user_delta)s::jsonb IS NOT NULL
    ON CONFLICT (app_name, user_id) DO UPDATE SET state = user_states.state || EXCLUDED.state
    RETURNING state
)
SELECT
    EXISTS (SELECT 1 FROM ins),
    coalesce((SELECT state FROM app),
             (SELECT state FROM app_states WHERE app_name = %(app)s), '{}'),
    coalesce((SELECT state FROM usr),
             (SELECT state FROM user_states WHERE app_name = %(app)s AND user_id = %(user)s),
             '{}')
"""

_SCOPED_STATE = """
SELECT
    coalesce((SELECT state FROM app_states WHERE app_name = %(app)s), '{}'),
    coalesce((SELECT state FROM user_states WHERE app_name = %(app)s AND user_id = %(user)s),
             '{}')
"""

# The scoped upserts read the inserted row, so they happen only for a new event.
_APPEND = """
WITH s AS (
    SELECT pk, last_seq FROM sessions
    WHERE app_name = %(app)s AND user_id = %(user)s AND id = %(sid)s
    FOR UPDATE
), ins AS (
    INSERT INTO events (session_pk, seq, event_id, invocation_id, ts, payload)
    SELECT pk, last_seq + 1, %(eid)s, %(inv)s, %(ts)s, %(payload)s FROM s
    ON CONFLICT (session_pk, event_id) DO NOTHING
    RETURNING session_pk, seq
), upd AS (
    UPDATE sessions
    SET last_seq = ins.seq, event_count = sessions.event_count + 1, update_time = %(ts)s,
        state = sessions.state || coalesce(%(delta)s::jsonb, '{}')
    FROM ins WHERE sessions.pk = ins.session_pk
), app AS (
    INSERT INTO app_states (app_name, state)
    SELECT %(app)s, %(app_delta)s::jsonb FROM ins WHERE %(app_delta)s::jsonb IS NOT NULL
    ON CONFLICT (app_name) DO UPDATE SET state = app_states.state || EXCLUDED.state
), usr AS (
    INSERT INTO user_states (app_name, user_id, state)
    SELECT %(app)s, %(user)s, %(user_delta)s::jsonb FROM ins
    WHERE %(user_delta)s::jsonb IS NOT NULL
    ON CONFLICT (app_name, user_id) DO UPDATE SET state = user_states.state || EXCLUDED.state
)
SELECT EXISTS (SELECT 1 FROM s), EXISTS (SELECT 1 FROM ins)
"""

# How many of the newest events a load fetches; older ones are fetched when read.
_TAIL = 32

# One statement, so state, the event count and the newest events come from one
# snapshot. The older events are read later by seq below the oldest one fetched
# here: events appended meanwhile have higher seqs and never show.
_GET = """
SELECT s.state, s.update_time, coalesce(a.state, '{}'), coalesce(u.state, '{}'),
    s.pk, s.event_count, t.first_seq, coalesce(t.payloads, '{}')
FROM sessions s
LEFT JOIN app_states a ON a.app_name = s.app_name
LEFT JOIN user_states u ON u.app_name = s.app_name AND u.user_id = s.user_id
CROSS JOIN LATERAL (
    SELECT min(r.seq) AS first_seq, array_agg(r.payload ORDER BY r.seq) AS payloads
    FROM (
        SELECT e.seq, e.payload FROM events e WHERE e.session_pk = s.pk
        ORDER BY e.seq DESC LIMIT %(tail)s
    ) r
) t
WHERE s.app_name = %(app)s AND s.user_id = %(user)s AND s.id = %(sid)s
"""

# The *count* events before seq *below*, oldest first (the older part of a load).
_OLDER = """
SELECT r.payload FROM (
    SELECT seq, payload FROM events WHERE session_pk = %(pk)s AND seq < %(below)s
    ORDER BY seq DESC LIMIT %(count)s
) r
ORDER BY r.seq
"""

# With after_timestamp: the whole window in one statement (state and history from
# one snapshot). The floor is the last event older than after_timestamp: only the
# trailing newer run is loaded.
_GET_SINCE = """
SELECT s.state, s.update_time, coalesce(a.state, '{}'), coalesce(u.state, '{}'),
    ARRAY(
        SELECT r.payload FROM (
            SELECT e.seq, e.payload FROM events e
            WHERE e.session_pk = s.pk AND e.seq > CASE
                WHEN %(after)s::float8 IS NULL THEN 0
                ELSE coalesce((SELECT max(f.seq) FROM events f
                               WHERE f.session_pk = s.pk AND f.ts < %(after)s::float8), 0)
            END
            ORDER BY e.seq DESC
            LIMIT %(limit)s
        ) r
        ORDER BY r.seq
    )
FROM sessions s
LEFT JOIN app_states a ON a.app_name = s.app_name
LEFT JOIN user_states u ON u.app_name = s.app_name AND u.user_id = s.user_id
WHERE s.app_name = %(app)s AND s.user_id = %(user)s AND s.id = %(sid)s
"""

_LIST = """
SELECT s.user_id, s.id, s.state, s.update_time, coalesce(a.state, '{}'), coalesce(u.state, '{}')
FROM sessions s
LEFT JOIN app_states a ON a.app_name = s.app_name
LEFT JOIN user_states u ON u.app_name = s.app_name AND u.user_id = s.user_id
WHERE s.app_name = %(app)s AND (s.user_id, s.id) > (%(after_user)s, %(after_id)s)
ORDER BY s.user_id, s.id
LIMIT %(limit)s
"""
_LIST_FOR_USER = _LIST.replace("WHERE s.app_name", "WHERE s.user_id = %(user)s AND s.app_name")

_EVENTS = """
SELECT e.seq, e.payload
FROM sessions s
LEFT JOIN LATERAL (
    SELECT seq, payload FROM events
    WHERE session_pk = s.pk AND seq > %(after)s
    ORDER BY seq
    LIMIT %(limit)s
) e ON true
WHERE s.app_name = %(app)s AND s.user_id = %(user)s AND s.id = %(sid)s
"""

# Removes the events and lowers the session's event count in one statement.
_DELETE_EVENTS = """
WITH gone AS (
    DELETE FROM events USING sessions
    WHERE events.session_pk = sessions.pk
      AND sessions.app_name = %s AND sessions.user_id = %s AND sessions.id = %s
      AND events.event_id = ANY(%s)
    RETURNING events.session_pk
), counted AS (
    UPDATE sessions SET event_count = sessions.event_count - n.removed
    FROM (SELECT session_pk, count(*) AS removed FROM gone GROUP BY session_pk) n
    WHERE sessions.pk = n.session_pk
)
SELECT count(*) FROM gone
"""

_DELETE = """
WITH gone AS (
    DELETE FROM sessions WHERE app_name = %s AND user_id = %s AND id = %s RETURNING pk
)
DELETE FROM events WHERE session_pk IN (SELECT pk FROM gone)
"""


class PostgresSessionService(PostgresService, BaseSessionService):
    """Sessions, events and app/user state in PostgreSQL, shared by every process.

    Build it from a URL (see :mod:`runners_postgres.settings` for the options)::

        PostgresSessionService("postgresql://app@db/agents?schema=runners")
    """

    capabilities: ClassVar[frozenset[str]] = frozenset({"cross_process_lock", "retention"})
    state_allows_nul: ClassVar[bool] = False  # jsonb cannot hold \u0000
    base_options: ClassVar[tuple[str, ...]] = ("max_event_bytes",)

    # ------------------------------------------------------------------ locking

    def _process_lock(
        self, *, app_name: str, user_id: str, session_id: str, timeout: float | None
    ) -> AbstractAsyncContextManager[bool]:
        return advisory_lock(self._db, (app_name, user_id, session_id), timeout)

    def _process_lock_holder(self) -> str:
        return f"in another process (PostgreSQL advisory lock at {self._db.settings.redacted})"

    # ------------------------------------------------------------------ storage primitives

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
        params = {
            "app": app_name,
            "user": user_id,
            "sid": session_id,
            "state": _json(state),
            "app_delta": _json_or_none(app_delta),
            "user_delta": _json_or_none(user_delta),
            "now": now,
        }
        row = await self._db.fetch_one("creating a session", _CREATE, params)
        assert row is not None
        created, app_state, user_state = row
        if not created:
            raise SessionExistsError(app_name, user_id, session_id)
        return StoredSession(
            id=session_id,
            app_name=app_name,
            user_id=user_id,
            state=dict(state),
            app_state=app_state,
            user_state=user_state,
            last_update_time=now,
        )

    async def _get_scoped_state(
        self, *, app_name: str, user_id: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        row = await self._db.fetch_one(
            "reading app and user state", _SCOPED_STATE, {"app": app_name, "user": user_id}
        )
        app_state, user_state = row if row is not None else ({}, {})
        return dict(app_state), dict(user_state) if user_id is not None else {}

    async def _get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        num_recent_events: int | None,
        after_timestamp: float | None,
    ) -> StoredSession | None:
        key = {"app": app_name, "user": user_id, "sid": session_id}
        if after_timestamp is not None:
            params = {**key, "after": after_timestamp, "limit": num_recent_events}
            row = await self._db.fetch_one("loading a session", _GET_SINCE, params)
            if row is None:
                return None
            state, update_time, app_state, user_state, payloads = row
            events = self.history(payloads)
        else:
            wanted = _TAIL if num_recent_events is None else min(_TAIL, num_recent_events)
            row = await self._db.fetch_one("loading a session", _GET, {**key, "tail": wanted})
            if row is None:
                return None
            state, update_time, app_state, user_state, pk, count, first_seq, payloads = row
            window = count if num_recent_events is None else min(count, num_recent_events)
            older = max(0, window - len(payloads))
            events = self.history(
                payloads,
                older=older,
                loader=self._older_loader(pk, first_seq, older) if older else None,
            )
        return StoredSession(
            id=session_id,
            app_name=app_name,
            user_id=user_id,
            state=state,
            app_state=app_state,
            user_state=user_state,
            last_update_time=update_time,
            events=events,
        )

    def _older_loader(self, pk: int, below: int, count: int) -> Callable[[], list[str]]:
        """Reads the *count* events before seq *below* when something first reads them."""
        params = {"pk": pk, "below": below, "count": count}

        def load() -> list[str]:
            rows = self._db.fetch_all_blocking("reading older events", _OLDER, params)
            return [payload for (payload,) in rows]

        return load

    async def _list_sessions(
        self, *, app_name: str, user_id: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[StoredSession]:
        after_user, after_id = after or ("", "")
        params = {"app": app_name, "user": user_id, "limit": limit}
        params.update(after_user=after_user, after_id=after_id)
        query = _LIST if user_id is None else _LIST_FOR_USER
        rows = await self._db.fetch_all("listing sessions", query, params)
        return [
            StoredSession(
                id=sid,
                app_name=app_name,
                user_id=uid,
                state=state,
                app_state=app_state,
                user_state=user_state,
                last_update_time=update_time,
            )
            for uid, sid, state, update_time, app_state, user_state in rows
        ]

    async def _list_events(
        self, *, app_name: str, user_id: str, session_id: str, limit: int, after: int
    ) -> list[tuple[int, str]]:
        params = {"app": app_name, "user": user_id, "sid": session_id, "after": after}
        params["limit"] = limit
        rows = await self._db.fetch_all("listing events", _EVENTS, params)
        if not rows:
            raise missing_session(app_name, user_id, session_id)
        return [(seq, payload) for seq, payload in rows if seq is not None]

    async def _delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        await self._db.execute("deleting a session", _DELETE, (app_name, user_id, session_id))

    async def _delete_events(
        self, *, app_name: str, user_id: str, session_id: str, event_ids: Sequence[str]
    ) -> int:
        row = await self._db.fetch_one(
            "deleting events", _DELETE_EVENTS, (app_name, user_id, session_id, list(event_ids))
        )
        return int(row[0]) if row is not None else 0

    async def _append_events(
        self, *, app_name: str, user_id: str, session_id: str, records: Sequence[EventRecord]
    ) -> int:
        held = held_lock(self._db, (app_name, user_id, session_id))
        if held is not None or any(r.has_ops for r in records):
            # A run lock held here routes appends through its connection, and state
            # operations need their own transaction each: one by one.
            return await super()._append_events(
                app_name=app_name, user_id=user_id, session_id=session_id, records=records
            )
        batch = [_append_params(app_name, user_id, session_id, r) for r in records]

        async def append(conn: psycopg.AsyncConnection) -> list[tuple[Any, ...]]:
            # One transaction, pipelined: an import's speed, each statement an append.
            async with conn.transaction(), conn.pipeline():
                cursors = [await conn.execute(_APPEND, params) for params in batch]
                return [row for c in cursors if (row := await c.fetchone()) is not None]

        rows = await self._db.run("importing events", append)
        if any(not found for found, _ in rows):
            raise missing_session(app_name, user_id, session_id)
        return sum(1 for _, inserted in rows if inserted)

    async def _append_event(
        self, *, app_name: str, user_id: str, session_id: str, record: EventRecord
    ) -> bool:
        params = _append_params(app_name, user_id, session_id, record)
        held = held_lock(self._db, (app_name, user_id, session_id))
        if held is None:
            row = await self._db.run("appending an event", _appender(record, params))
        else:
            # Through the lock's own connection: if the lock is lost, so is this append.
            async with held.mutex:
                row = await self._db.run(
                    "appending an event (on the session lock's connection)",
                    _appender(record, params),
                    held.conn,
                )
        assert row is not None
        found, inserted = row
        if not found:
            raise missing_session(app_name, user_id, session_id)
        return bool(inserted)


def _append_params(
    app_name: str, user_id: str, session_id: str, record: EventRecord
) -> dict[str, Any]:
    event = record.event
    return {
        "app": app_name,
        "user": user_id,
        "sid": session_id,
        "eid": event.id,
        "inv": event.invocation_id,
        "ts": event.timestamp,
        "payload": record.json,
        "delta": _json_or_none(record.session_delta),
        "app_delta": _json_or_none(record.app_delta),
        "user_delta": _json_or_none(record.user_delta),
    }


_LOCK_SCOPES = """
INSERT INTO app_states (app_name, state) VALUES (%(app)s, '{}') ON CONFLICT DO NOTHING;
INSERT INTO user_states (app_name, user_id, state) VALUES (%(app)s, %(user)s, '{}')
ON CONFLICT DO NOTHING
"""
_READ_SCOPES = """
SELECT s.state, a.state, u.state FROM sessions s, app_states a, user_states u
WHERE s.app_name = %(app)s AND s.user_id = %(user)s AND s.id = %(sid)s
AND a.app_name = %(app)s AND u.app_name = %(app)s AND u.user_id = %(user)s
FOR UPDATE
"""


def _appender(
    record: EventRecord, params: dict[str, Any]
) -> Callable[[psycopg.AsyncConnection], Awaitable[tuple[Any, ...] | None]]:
    """The append as one operation: one statement, or a transaction when it has state ops.

    Operations read the stored scopes with their rows locked (created first, so
    that there is a row to lock), and store the results with the event.
    """

    async def append(conn: psycopg.AsyncConnection) -> tuple[Any, ...] | None:
        if not record.has_ops:
            return await (await conn.execute(_APPEND, params)).fetchone()
        async with conn.transaction():
            for statement in _LOCK_SCOPES.split(";"):
                await conn.execute(statement, params)
            found = await (await conn.execute(_READ_SCOPES, params)).fetchone()
            if found is None:  # no such session: the append below reports it
                return await (await conn.execute(_APPEND, params)).fetchone()
            session, app, user = found
            app_delta, user_delta, session_delta = record.deltas_with_ops(
                lambda key: app.get(key, MISSING),
                lambda key: user.get(key, MISSING),
                lambda key: session.get(key, MISSING),
            )
            with_ops = {
                **params,
                "delta": _json_or_none(session_delta),
                "app_delta": _json_or_none(app_delta),
                "user_delta": _json_or_none(user_delta),
            }
            return await (await conn.execute(_APPEND, with_ops)).fetchone()

    return append


def _json(value: Any) -> str:
    return to_json(value).decode()


def _json_or_none(value: dict[str, Any]) -> str | None:
    return _json(value) if value else None
