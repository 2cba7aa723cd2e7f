"""The versioned schema, upgraded in place when a service first opens its file.

Each migration is a list of steps (SQL scripts in ``runners_sqlite/sql/`` and
Python functions for data that SQL cannot move exactly). All pending migrations
run in one ``BEGIN IMMEDIATE`` transaction together with their ``schema_version``
rows, so an upgrade happens completely or not at all, and processes opening the
file at the same moment migrate it once (the second finds it done).

Before anything is written the file is inspected read-only: a file of another
program or of a newer runners-sqlite is refused untouched.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from runners_core.errors import BackendError
from runners_sqlite.state_tables import encode_values, write_scopes

APPLICATION_ID = int.from_bytes(b"RUNS", "big")

Step = str | Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    steps: tuple[Step, ...]

    def apply(self, conn: sqlite3.Connection) -> None:
        for step in self.steps:
            if callable(step):
                step(conn)
                continue
            script = files("runners_sqlite").joinpath("sql", step).read_text("utf-8")
            for statement in _statements(script):
                conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
            (self.version, self.description, time.time()),
        )


def _copy_state_documents(conn: sqlite3.Connection) -> None:
    """v1 -> v2: one JSON document per scope becomes one row per key."""
    for app_name, state in conn.execute("SELECT app_name, state FROM app_states").fetchall():
        write_scopes(
            conn,
            app_name=app_name,
            user_id="",
            session_pk=None,
            session=[],
            app=encode_values(json.loads(state)),
            user=[],
        )
    rows = conn.execute("SELECT app_name, user_id, state FROM user_states").fetchall()
    for app_name, user_id, state in rows:
        user = encode_values(json.loads(state))
        write_scopes(
            conn, app_name=app_name, user_id=user_id, session_pk=None, session=[], app=[], user=user
        )
    for pk, state in conn.execute("SELECT pk, state FROM sessions").fetchall():
        session = encode_values(json.loads(state))
        write_scopes(conn, app_name="", user_id="", session_pk=pk, session=session, app=[], user=[])


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sessions, events, state documents, full-text memory, artifacts",
        ("0001_initial.sql",),
    ),
    Migration(
        2,
        "state as one row per key",
        ("0002_state_rows.sql", _copy_state_documents, "0002_drop_state_documents.sql"),
    ),
    Migration(3, "event count per session (lazy history)", ("0003_event_count.sql",)),
    Migration(
        4,
        "events in one B-tree; appends leave the session row alone",
        ("0004_append_one_btree.sql",),
    ),
)
LATEST = MIGRATIONS[-1].version


@dataclass(frozen=True)
class MigrationResult:
    path: Path
    before: int
    after: int

    @property
    def changed(self) -> bool:
        return self.before != self.after


def inspect_version(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version of the open file (0: empty), refusing foreign or newer files.

    Only reads, so a refused file is left exactly as it was.
    """
    (application_id,) = conn.execute("PRAGMA application_id").fetchone()
    tables = sorted(
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    )
    if application_id not in (0, APPLICATION_ID) or (tables and "schema_version" not in tables):
        shown = ", ".join(tables[:6]) + (", ..." if len(tables) > 6 else "")
        raise BackendError(
            f"{path} is a SQLite database of another program (tables: {shown or 'none'}; "
            f"application_id {application_id}); runners-sqlite left it untouched. Point the "
            "URL at a new file (e.g. sqlite:///.runners/sessions.db)"
        )
    if not tables:
        return 0
    (version,) = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    if version > LATEST:
        raise BackendError(
            f"{path} uses runners-sqlite schema version {version}, newer than this "
            f"runners-sqlite understands ({LATEST}); it was left untouched. Upgrade: "
            "pip install -U runners-sqlite"
        )
    return int(version)


def migrate(conn: sqlite3.Connection, path: Path, target: int = LATEST) -> MigrationResult:
    """Bring the file to *target* (default: latest) in one transaction; no-op when there."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        before = inspect_version(conn, path)
        for migration in MIGRATIONS:
            if before < migration.version <= target:
                migration.apply(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return MigrationResult(path, before, max(before, target))


def _statements(script: str) -> Iterator[str]:
    """The statements of *script* one by one (``executescript`` would commit first)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
