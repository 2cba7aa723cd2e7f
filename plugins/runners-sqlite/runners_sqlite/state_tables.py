"""The three state scopes as rows: ``app_state``, ``user_state`` and ``session_state``.

One row per key, the value as JSON text (serialised the way pydantic serialises the
events that carry it). Writing a delta upserts only its keys. These functions run
on the database's worker thread, inside the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

from runners_core.errors import ValidationError
from runners_core.sessions.base import EventRecord
from runners_core.state_ops import MISSING

_UPSERT_APP = (
    "INSERT INTO app_state (app_name, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (app_name, key) DO UPDATE SET value = excluded.value"
)
_UPSERT_USER = (
    "INSERT INTO user_state (app_name, user_id, key, value) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (app_name, user_id, key) DO UPDATE SET value = excluded.value"
)
_UPSERT_SESSION = (
    "INSERT INTO session_state (session_pk, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (session_pk, key) DO UPDATE SET value = excluded.value"
)


def encode_values(delta: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(key, JSON)`` pairs of a delta, or a ValidationError naming the key that cannot be."""
    pairs = []
    for key, value in delta.items():
        try:
            pairs.append((key, to_json(value).decode()))
        except PydanticSerializationError as exc:
            raise ValidationError(
                f"state key {key!r} holds a {type(value).__name__}, which cannot be stored as "
                f"JSON ({exc}); store strings, numbers, booleans, None, lists and dicts"
            ) from None
    return pairs


def decode_rows(rows: Iterable[tuple[str, str]]) -> dict[str, Any]:
    return {key: json.loads(value) for key, value in rows}


def write_scopes(
    conn: sqlite3.Connection,
    *,
    app_name: str,
    user_id: str,
    session_pk: int | None,
    session: list[tuple[str, str]],
    app: list[tuple[str, str]],
    user: list[tuple[str, str]],
) -> None:
    """Upsert encoded deltas (from :func:`encode_values`) into their scope tables."""
    if session and session_pk is not None:
        _upsert(conn, _UPSERT_SESSION, [(session_pk, k, v) for k, v in session])
    if app:
        _upsert(conn, _UPSERT_APP, [(app_name, k, v) for k, v in app])
    if user:
        _upsert(conn, _UPSERT_USER, [(app_name, user_id, k, v) for k, v in user])


def _upsert(conn: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    # A delta of one key (the common case) skips executemany's per-call setup.
    if len(rows) == 1:
        conn.execute(sql, rows[0])
    else:
        conn.executemany(sql, rows)


def read_app(conn: sqlite3.Connection, app_name: str) -> dict[str, Any]:
    rows = conn.execute("SELECT key, value FROM app_state WHERE app_name = ?", (app_name,))
    return decode_rows(rows)


def read_user(conn: sqlite3.Connection, app_name: str, user_id: str) -> dict[str, Any]:
    return decode_rows(
        conn.execute(
            "SELECT key, value FROM user_state WHERE app_name = ? AND user_id = ?",
            (app_name, user_id),
        )
    )


def read_session(conn: sqlite3.Connection, session_pk: int) -> dict[str, Any]:
    return decode_rows(
        conn.execute("SELECT key, value FROM session_state WHERE session_pk = ?", (session_pk,))
    )


def apply_ops(
    conn: sqlite3.Connection, record: EventRecord, app_name: str, user_id: str, session_pk: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """The record's deltas with its atomic operations applied, encoded as session, app, user.

    Runs inside the append's write transaction, so nothing changes between the reads
    and the writes.
    """

    def reader(query: str, *scope: Any) -> Callable[[str], Any]:
        def read(key: str) -> Any:
            row = conn.execute(query, (*scope, key)).fetchone()
            return MISSING if row is None else json.loads(row[0])

        return read

    app, user, session = record.deltas_with_ops(
        reader("SELECT value FROM app_state WHERE app_name = ? AND key = ?", app_name),
        reader(
            "SELECT value FROM user_state WHERE app_name = ? AND user_id = ? AND key = ?",
            app_name,
            user_id,
        ),
        reader("SELECT value FROM session_state WHERE session_pk = ? AND key = ?", session_pk),
    )
    return encode_values(session), encode_values(app), encode_values(user)
