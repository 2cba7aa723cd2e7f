"""Turning sqlite3 failures into runners-core errors that name the file and the fix.

"database is locked" never reaches users as such: it means another connection held
the write lock for longer than ``busy_timeout``, which becomes a
:class:`RetryableBackendError` saying that nothing was written.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from runners_core.errors import BackendError, RetryableBackendError

# Primary result codes (https://www.sqlite.org/rescode.html).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def operation_error(exc: sqlite3.Error, path: Path, action: str, busy_timeout: float) -> Exception:
    """The error for a failure while *action* (e.g. "appending an event") was under way."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    detail = str(exc) or type(exc).__name__
    if code in (_BUSY, _LOCKED) or "locked" in detail:
        return RetryableBackendError(
            f"SQLite database {path} was locked by another connection for longer than "
            f"busy_timeout={busy_timeout:g}s while {action}; nothing was written. Retry, or "
            "raise ?busy_timeout= in the URL if other processes hold long write transactions"
        )
    if code == _READONLY or "readonly" in detail:
        return read_only_error(path, detail)
    if code in (_CORRUPT, _NOTADB) or "malformed" in detail or "not a database" in detail:
        return corrupt_error(path, detail)
    if code == _FULL:
        return BackendError(
            f"SQLite database {path}: the disk is full while {action} ({detail}); nothing was "
            "written. Free some space and retry"
        )
    if code == _CANTOPEN:
        return cannot_open_error(path, detail)
    if code == _IOERR:
        return RetryableBackendError(
            f"SQLite database {path}: disk I/O error while {action} ({detail}); the operation "
            "did not take effect. Check the disk and file permissions, then retry"
        )
    return BackendError(f"SQLite database {path} failed while {action}: {detail}")


def read_only_error(path: Path, detail: str) -> BackendError:
    return BackendError(
        f"SQLite database {path} cannot be written ({detail}); make the file and its "
        f"directory writable for this user (chmod u+w), or point the URL at a writable copy"
    )


def corrupt_error(path: Path, detail: str) -> BackendError:
    return BackendError(
        f"{path} is not a usable SQLite database ({detail}); runners-sqlite left it "
        "untouched. If it is another program's file, point the URL at a new path; if it is "
        "a damaged runners-sqlite database, restore a backup or salvage it with "
        f"`sqlite3 {path} .recover`"
    )


def cannot_open_error(path: Path, detail: str) -> BackendError:
    return BackendError(
        f"cannot open SQLite database {path} ({detail}); check that the path is a file in an "
        "existing, writable directory, or point the URL at another path"
    )
