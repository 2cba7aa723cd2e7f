"""Sessions in a SQLite file: each append is one transaction, runs are locked across processes.

An append takes the write lock (``BEGIN IMMEDIATE``), numbers the event after the
session's last one, skips it if its id is already stored (idempotent re-append)
and otherwise upserts the keys of its scoped state deltas, then commits: all of it
or none of it. It leaves the session's row alone (one page less per commit): the
session's update time and event count are the row's plus what the events appended
since add (see ``_counted``). A load reads one snapshot: the state and only the
newest events (walking the ``(session_pk, seq)`` key from the end), so it costs
the same at any history length. Older events are read, in one
query, only if something reads that far back in the loaded session (the runner
never does); events are decoded as they are read.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, ClassVar

from runners_core.errors import SessionExistsError
from runners_core.events import Event
from runners_core.sessions.base import (
    BaseSessionService,
    EventRecord,
    StoredSession,
    missing_session,
)
from runners_core.sessions.decoding import decode_events as decode_stored_events
from runners_core.sessions.locks import KeyedLock
from runners_sqlite import state_tables
from runners_sqlite.database import Database, DatabaseOwner
from runners_sqlite.run_lock import SUPPORTED as FLOCK_SUPPORTED
from runners_sqlite.run_lock import SessionLockFiles, shared_run_locks
from runners_sqlite.settings import parse_url

_SESSION_OPTIONS = ("max_event_bytes",)
_FIND = "SELECT pk, update_time FROM sessions WHERE app_name = ? AND user_id = ? AND id = ?"
# A session row with what its appends since the last non-append write add (schema v4):
# the newest event's seq and timestamp (see _counted).
_WITH_NEWEST = (
    "SELECT s.pk, s.user_id, s.id, s.update_time, s.base_seq, s.base_count, e.seq, e.timestamp "
    "FROM sessions s "
    "LEFT JOIN events e ON e.session_pk = s.pk "
    "AND e.seq = (SELECT max(seq) FROM events WHERE session_pk = s.pk) "
)
_FIND_COUNTED = _WITH_NEWEST + "WHERE s.app_name = ? AND s.user_id = ? AND s.id = ?"
# The newest event older than the bound: walks back from the end, so it reads only
# the events that will be returned (plus this one).
_FLOOR_SEQ = (
    "SELECT seq FROM events WHERE session_pk = ? AND timestamp < ? ORDER BY seq DESC LIMIT 1"
)
_COUNT_AFTER = "SELECT count(*) FROM events WHERE session_pk = ? AND seq > ?"
# The newest events, newest first.
_NEWEST = "SELECT seq, payload FROM events WHERE session_pk = ? ORDER BY seq DESC LIMIT ?"
# The session and the seq its next event gets: one past the newest, never reusing the
# seq of a deleted event (base_seq). Folding this into the insert (INSERT ... SELECT ...
# RETURNING) was measured slower: SQLite materialises a SELECT that reads the table
# it inserts into.
_FIND_FOR_APPEND = (
    "SELECT pk, max(base_seq, coalesce((SELECT max(seq) FROM events "
    "WHERE session_pk = sessions.pk), 0)) + 1 "
    "FROM sessions WHERE app_name = ? AND user_id = ? AND id = ?"
)
_INSERT_EVENT = (
    "INSERT INTO events (session_pk, seq, event_id, invocation_id, timestamp, payload) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_pk, event_id) DO NOTHING"
)
# The *count* events before a seq, oldest first (the older part of a load).
_OLDER = (
    "SELECT payload FROM (SELECT seq, payload FROM events WHERE session_pk = ? AND seq < ? "
    "ORDER BY seq DESC LIMIT ?) ORDER BY seq"
)
# How many of the newest events a load fetches; older ones are fetched when read.
_TAIL = 32
_PAGE_OF_EVENTS = (
    "SELECT seq, payload FROM events WHERE session_pk = ? AND seq > ? ORDER BY seq LIMIT ?"
)
_LIST = (
    _WITH_NEWEST + "WHERE s.app_name = ? AND (s.user_id, s.id) > (?, ?) "
    "ORDER BY s.user_id, s.id LIMIT ?"
)
_LIST_FOR_USER = (
    _WITH_NEWEST + "WHERE s.app_name = ? AND s.user_id = ? AND s.id > ? ORDER BY s.id LIMIT ?"
)
# Page-wide state reads take their keys as one JSON array parameter (no variable limit).
_STATES_OF = (
    "SELECT session_pk, key, value FROM session_state "
    "WHERE session_pk IN (SELECT value FROM json_each(?))"
)
_USER_STATES_OF = (
    "SELECT user_id, key, value FROM user_state "
    "WHERE app_name = ? AND user_id IN (SELECT value FROM json_each(?))"
)


def decode_events(payloads: list[str]) -> list[Event]:
    """Decode stored events in one pass; a bad row is named by its position."""
    return decode_stored_events(payloads, where="the SQLite database")


class SqliteSessionService(DatabaseOwner, BaseSessionService):
    """Sessions, events and app/user state in one SQLite file, shared by local processes.

    Build it from a URL (see :mod:`runners_sqlite.settings` for the options)::

        SqliteSessionService("sqlite:///.runners/sessions.db")
    """

    capabilities: ClassVar[frozenset[str]] = (
        frozenset({"cross_process_lock", "retention"})
        if FLOCK_SUPPORTED
        else frozenset({"retention"})
    )

    def __init__(self, url: str | os.PathLike[str], **options: Any) -> None:
        base = {k: options.pop(k) for k in _SESSION_OPTIONS if k in options}
        super().__init__(**base)
        settings = parse_url(url, **options)
        self._db = Database(settings)
        self._locks = SessionLockFiles(settings.lock_dir)
        self._file_run_locks: KeyedLock | None = None

    # ------------------------------------------------------------------ locking

    @property
    def _run_locks(self) -> KeyedLock:
        """The in-process run locks of this database *file*, shared by every service
        that opened it under any name (found by device and inode once the file exists)."""
        if self._file_run_locks is None:
            self._file_run_locks = shared_run_locks(self._db.settings.path)
        return self._file_run_locks or self._own_run_locks

    @_run_locks.setter
    def _run_locks(self, locks: KeyedLock) -> None:  # the base class's own, per service
        self._own_run_locks = locks

    def _process_lock(
        self, *, app_name: str, user_id: str, session_id: str, timeout: float | None
    ) -> AbstractAsyncContextManager[bool]:
        if not FLOCK_SUPPORTED:
            return nullcontext(True)
        return self._locks.hold(app_name, user_id, session_id, timeout)

    def _process_lock_holder(self) -> str:
        return f"in another process (lock files in {self._locks.directory})"

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
        session_rows = state_tables.encode_values(state)
        app_rows = state_tables.encode_values(app_delta)
        user_rows = state_tables.encode_values(user_delta)

        def create(conn: sqlite3.Connection) -> StoredSession:
            cur = conn.execute(
                "INSERT INTO sessions (app_name, user_id, id, create_time, update_time) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_name, user_id, id) DO NOTHING",
                (app_name, user_id, session_id, now, now),
            )
            if cur.rowcount == 0:
                raise SessionExistsError(app_name, user_id, session_id)
            state_tables.write_scopes(
                conn,
                app_name=app_name,
                user_id=user_id,
                session_pk=cur.lastrowid,
                session=session_rows,
                app=app_rows,
                user=user_rows,
            )
            return StoredSession(
                id=session_id,
                app_name=app_name,
                user_id=user_id,
                state=dict(state),
                app_state=state_tables.read_app(conn, app_name),
                user_state=state_tables.read_user(conn, app_name, user_id),
                last_update_time=now,
            )

        return await self._db.write("creating a session", create)

    async def _get_scoped_state(
        self, *, app_name: str, user_id: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        def load(conn: sqlite3.Connection) -> tuple[dict[str, Any], dict[str, Any]]:
            user = {} if user_id is None else state_tables.read_user(conn, app_name, user_id)
            return state_tables.read_app(conn, app_name), user

        return await self._db.read("reading app and user state", load)

    async def _get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        num_recent_events: int | None,
        after_timestamp: float | None,
    ) -> StoredSession | None:
        def load(conn: sqlite3.Connection) -> StoredSession | None:
            row = conn.execute(_FIND_COUNTED, (app_name, user_id, session_id)).fetchone()
            if row is None:
                return None
            pk, *_ = row
            window, update_time = _counted(row)
            if num_recent_events is not None:
                window = min(window, num_recent_events)
            if after_timestamp is not None and window:
                floor = conn.execute(_FLOOR_SEQ, (pk, after_timestamp)).fetchone()
                if floor is not None:
                    window = min(window, conn.execute(_COUNT_AFTER, (pk, floor[0])).fetchone()[0])
            newest = conn.execute(_NEWEST, (pk, min(_TAIL, window))).fetchall() if window else []
            older = window - len(newest)
            return StoredSession(
                id=session_id,
                app_name=app_name,
                user_id=user_id,
                state=state_tables.read_session(conn, pk),
                app_state=state_tables.read_app(conn, app_name),
                user_state=state_tables.read_user(conn, app_name, user_id),
                last_update_time=update_time,
                events=self.history(
                    [payload for _, payload in reversed(newest)],
                    older=older,
                    loader=self._loader(pk, newest[-1][0], older) if older else None,
                ),
            )

        return await self._db.read("loading a session", load)

    def _loader(self, pk: int, below: int, count: int) -> Callable[[], list[str]]:
        """Reads the *count* events before seq *below* when they are first needed.

        Later appends have higher seqs, so they never show in a loaded session.
        """

        def read(conn: sqlite3.Connection) -> list[str]:
            return [p for (p,) in conn.execute(_OLDER, (pk, below, count))]

        return lambda: self._db.read_blocking("reading older events", read)

    async def _list_sessions(
        self, *, app_name: str, user_id: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[StoredSession]:
        after_user, after_id = after or ("", "")

        def page(conn: sqlite3.Connection) -> list[StoredSession]:
            if user_id is None:
                params: tuple[Any, ...] = (app_name, after_user, after_id, limit)
                shown = conn.execute(_LIST, params).fetchall()
            else:
                shown = _user_page(conn, app_name, user_id, after_user, after_id, limit)
            pks = [pk for pk, *_ in shown]
            users = sorted({uid for _, uid, *_ in shown})
            session_states: dict[int, dict[str, Any]] = {pk: {} for pk in pks}
            for pk, key, value in conn.execute(_STATES_OF, (_json_list(pks),)):
                session_states[pk][key] = json.loads(value)
            user_states: dict[str, dict[str, Any]] = {uid: {} for uid in users}
            for uid, key, value in conn.execute(_USER_STATES_OF, (app_name, _json_list(users))):
                user_states[uid][key] = json.loads(value)
            app_state = state_tables.read_app(conn, app_name) if shown else {}
            return [
                StoredSession(
                    id=row[2],
                    app_name=app_name,
                    user_id=row[1],
                    state=session_states[row[0]],
                    app_state=dict(app_state),
                    user_state=dict(user_states[row[1]]),
                    last_update_time=_counted(row)[1],
                )
                for row in shown
            ]

        return await self._db.read("listing sessions", page)

    async def _list_events(
        self, *, app_name: str, user_id: str, session_id: str, limit: int, after: int
    ) -> list[tuple[int, str]]:
        def page(conn: sqlite3.Connection) -> list[tuple[int, str]]:
            row = conn.execute(_FIND, (app_name, user_id, session_id)).fetchone()
            if row is None:
                raise missing_session(app_name, user_id, session_id)
            return conn.execute(_PAGE_OF_EVENTS, (row[0], after, limit)).fetchall()

        return await self._db.read("listing events", page)

    async def _delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            row = conn.execute(_FIND, (app_name, user_id, session_id)).fetchone()
            if row is None:
                return
            pk = row[0]
            conn.execute("DELETE FROM events WHERE session_pk = ?", (pk,))
            conn.execute("DELETE FROM session_state WHERE session_pk = ?", (pk,))
            conn.execute("DELETE FROM sessions WHERE pk = ?", (pk,))

        await self._db.write("deleting a session", delete)

    async def _delete_events(
        self, *, app_name: str, user_id: str, session_id: str, event_ids: Sequence[str]
    ) -> int:
        ids = list(event_ids)

        def delete(conn: sqlite3.Connection) -> int:
            row = conn.execute(_FIND_COUNTED, (app_name, user_id, session_id)).fetchone()
            if row is None:
                return 0
            pk, deleted = row[0], 0
            count, update_time = _counted(row)
            # Within SQLite's limit on bound parameters per statement.
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                deleted += conn.execute(
                    f"DELETE FROM events WHERE session_pk = ? AND event_id IN ({marks})",
                    (pk, *chunk),
                ).rowcount
            if deleted:
                # The row takes over what the appends supplied: seqs stay unused below
                # base_seq, and the update time is not set back by deleting the newest.
                conn.execute(
                    "UPDATE sessions SET base_seq = ?, base_count = ?, update_time = ? "
                    "WHERE pk = ?",
                    (max(row[4], row[6] or 0), count - deleted, update_time, pk),
                )
            return deleted

        return await self._db.write("deleting events", delete)

    async def _append_event(
        self, *, app_name: str, user_id: str, session_id: str, record: EventRecord
    ) -> bool:
        rows = _Rows(record)

        def append(conn: sqlite3.Connection) -> bool:
            return _append_one(conn, app_name, user_id, session_id, rows)

        return await self._db.write("appending an event", append)

    async def _append_events(
        self, *, app_name: str, user_id: str, session_id: str, records: Sequence[EventRecord]
    ) -> int:
        batch = [_Rows(record) for record in records]

        def append(conn: sqlite3.Connection) -> int:
            # One transaction for the batch: an import's speed, an append's rules.
            return sum(_append_one(conn, app_name, user_id, session_id, rows) for rows in batch)

        return await self._db.write("importing events", append)


class _Rows:
    """An event record with its state deltas encoded for the state tables."""

    def __init__(self, record: EventRecord) -> None:
        self.record = record
        self.session = state_tables.encode_values(record.session_delta)
        self.app = state_tables.encode_values(record.app_delta)
        self.user = state_tables.encode_values(record.user_delta)


def _append_one(
    conn: sqlite3.Connection, app_name: str, user_id: str, session_id: str, rows: _Rows
) -> bool:
    """Store one event and apply its deltas inside the caller's transaction."""
    event = rows.record.event
    row = conn.execute(_FIND_FOR_APPEND, (app_name, user_id, session_id)).fetchone()
    if row is None:
        raise missing_session(app_name, user_id, session_id)
    pk, seq = row
    values = (pk, seq, event.id, event.invocation_id, event.timestamp, rows.record.json)
    if conn.execute(_INSERT_EVENT, values).rowcount == 0:
        return False  # already stored: a retry changes nothing
    scoped = (rows.session, rows.app, rows.user)
    if rows.record.has_ops:  # read and written under this transaction's write lock
        scoped = state_tables.apply_ops(conn, rows.record, app_name, user_id, pk)
    state_tables.write_scopes(
        conn,
        app_name=app_name,
        user_id=user_id,
        session_pk=pk,
        session=scoped[0],
        app=scoped[1],
        user=scoped[2],
    )
    return True


def _counted(row: Sequence[Any]) -> tuple[int, float]:
    """A session's event count and update time from a :data:`_WITH_NEWEST` row.

    The row holds them as of its last non-append write; every event above ``base_seq``
    was appended since (seqs are given in order), the newest one last.
    """
    _, _, _, update_time, base_seq, base_count, newest_seq, newest_time = row
    if newest_seq is None or newest_seq <= base_seq:
        return base_count, update_time
    return base_count + newest_seq - base_seq, newest_time


def _user_page(
    conn: sqlite3.Connection, app_name: str, user_id: str, after_user: str, after_id: str, n: int
) -> list[Any]:
    """Up to *n* of one user's sessions after the token's ``(user, id)``.

    A token from a listing of other users is clamped, so it can never widen this one.
    """
    if after_user > user_id:
        return []
    after = after_id if after_user == user_id else ""
    return conn.execute(_LIST_FOR_USER, (app_name, user_id, after, n)).fetchall()


def _json_list(values: list[Any]) -> str:
    return json.dumps(values)
