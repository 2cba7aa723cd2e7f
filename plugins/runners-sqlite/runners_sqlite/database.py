"""One SQLite file, used from any event loop through a private worker thread.

Every service owns a :class:`Database`: one ``sqlite3`` connection, used by one
thread at a time. Each operation is a whole transaction. Short transactions that
cannot wait run on the caller's thread; anything that would wait (another
process's write lock, an fsync under ``synchronous=full``, the first open) runs on
the database's :class:`~runners_sqlite.worker.Worker` thread, which callers on any
event loop await, so nothing is bound to a loop and no loop ever blocks on another
process's write lock.

The file is opened on first use: its directory is created, it is inspected
read-only (not a database, another program's, a newer schema: refused untouched),
switched to WAL and migrated. A failed open is not remembered, so fixing the
cause (permissions, a full disk) and retrying works.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from runners_core.errors import BackendError, ConfigError, RunnersError
from runners_sqlite.errors import (
    cannot_open_error,
    corrupt_error,
    operation_error,
    read_only_error,
)
from runners_sqlite.migrations import inspect_version, migrate
from runners_sqlite.settings import SqliteSettings
from runners_sqlite.worker import Worker

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]

# ALTER TABLE ... DROP COLUMN (schema v2) arrived in SQLite 3.35 (2021).
MIN_SQLITE = (3, 35, 0)


class Database:
    """The connection to one file and the thread that uses it."""

    def __init__(self, settings: SqliteSettings) -> None:
        self.settings = settings
        self._worker = Worker(f"runners-sqlite {settings.path.name}")
        self._conn: sqlite3.Connection | None = None
        # Whoever uses the connection holds this: the worker, or a caller running a
        # short transaction on its own thread (see _submit).
        self._conn_lock = threading.Lock()
        self._closed = False
        self._mutex = threading.Lock()
        self._busy_ms = int(settings.busy_timeout * 1000)
        # A commit under synchronous=full waits for an fsync: never on the caller's thread.
        self._inline = settings.synchronous == "normal"

    @property
    def path(self) -> str:
        return str(self.settings.path)

    async def read(self, action: str, work: Work[T]) -> T:
        """Run *work* in a read transaction: one consistent snapshot, never blocked by writers."""
        return await self._submit(action, work, "BEGIN")

    async def write(self, action: str, work: Work[T]) -> T:
        """Run *work* in a write transaction, committed when it returns, rolled back if it raises.

        ``BEGIN IMMEDIATE`` takes the write lock up front, waiting up to
        ``busy_timeout`` for other processes' writers; a read is never upgraded to a
        write mid-transaction, which is what makes SQLite fail with "locked" at once.
        """
        return await self._submit(action, work, "BEGIN IMMEDIATE")

    def read_blocking(self, action: str, work: Work[T]) -> T:
        """:meth:`read`, for a synchronous caller: blocks the calling thread until done.

        Used for short reads only (a loaded session's older events). After
        ``close()`` it reads through a short-lived connection of its own, so a
        session loaded before closing stays readable.
        """
        future = None
        with self._mutex:
            if not self._closed:
                job = partial(self._transaction, action, work, "BEGIN")
                future = self._worker.submit_threadsafe(job)
        if future is not None:
            return future.result()
        try:
            uri = self.settings.path.as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=self.settings.busy_timeout)
        except sqlite3.Error as exc:
            raise self._error(exc, action) from exc
        try:
            conn.execute("BEGIN")
            return work(conn)
        except sqlite3.Error as exc:
            raise self._error(exc, action) from exc
        finally:
            conn.close()

    async def close(self) -> None:
        """Finish queued work, close the connection and let the thread end."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            done = self._worker.submit(self._close_connection)
        await done

    # ------------------------------------------------------------------ worker side

    async def _submit(self, action: str, work: Work[T], begin: str) -> T:
        """Run the transaction on the caller's thread if that cannot block, else on the worker.

        Handing work to the worker thread and back costs several times what a short
        transaction does. So when the connection is open and free, the transaction
        first runs right here with SQLite's busy timeout at zero: in WAL mode a read
        never waits, and a write waits only for another connection's write lock, in
        which case SQLite answers "busy" at once and the worker, which may block,
        runs it instead (rolled back first: works change nothing but the database).
        """
        with self._mutex:
            if self._closed:
                raise BackendError(
                    f"the SQLite service for {self.path} is closed; build a new service "
                    "to use the file again"
                )
            conn = self._conn
            inline = self._inline and conn is not None and self._conn_lock.acquire(blocking=False)
        if inline:
            assert conn is not None
            try:
                done, result = self._try_now(conn, action, work, begin)
            finally:
                self._conn_lock.release()
            if done:
                return result
        with self._mutex:
            future = self._worker.submit(partial(self._transaction, action, work, begin))
        return await future

    def _try_now(
        self, conn: sqlite3.Connection, action: str, work: Work[T], begin: str
    ) -> tuple[bool, T | None]:
        """(True, result) if the transaction ran; (False, None) if it would have waited.

        The connection's busy timeout is zero between transactions; only the worker
        raises it while it runs one.
        """
        try:
            conn.execute(begin)
            try:
                result = work(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return True, result
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                return False, None
            raise self._error(exc, action) from exc
        except sqlite3.Error as exc:
            raise self._error(exc, action) from exc

    def _transaction(self, action: str, work: Work[T], begin: str) -> T:
        with self._conn_lock:
            conn = self._connection()
            try:
                conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
                try:
                    conn.execute(begin)
                    result = work(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                finally:
                    conn.execute("PRAGMA busy_timeout = 0")
                return result
            except sqlite3.Error as exc:
                raise self._error(exc, action) from exc

    def _error(self, exc: sqlite3.Error, action: str) -> Exception:
        return operation_error(exc, self.settings.path, action, self.settings.busy_timeout)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        """Open, retrying while other connections hold the locks the first open needs.

        Switching a new file to WAL needs an exclusive lock, and SQLite reports that
        contention at once (its busy handler is not consulted there), so several
        services opening one fresh file together retry here, up to busy_timeout.
        """
        deadline = time.monotonic() + self.settings.busy_timeout
        pause = 0.005
        while True:
            try:
                return self._open_once()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() + pause > deadline:
                    raise self._error(exc, "opening the database") from exc
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def _open_once(self) -> sqlite3.Connection:
        path = self.settings.path
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise BackendError(
                f"runners-sqlite needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; this "
                f"Python uses {sqlite3.sqlite_version}. Use a Python built with a newer SQLite"
            )
        _check_location(self.settings)
        try:
            conn = sqlite3.connect(
                path,
                timeout=self.settings.busy_timeout,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,  # used by one thread at a time: the worker
            )
        except sqlite3.Error as exc:
            raise cannot_open_error(path, str(exc)) from exc
        try:
            try:
                inspect_version(conn, path)  # read-only: refuse before changing anything
            except sqlite3.DatabaseError as exc:
                raise corrupt_error(path, str(exc)) from exc
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise BackendError(
                    f"SQLite database {path} cannot use write-ahead logging (journal mode "
                    f"stays {mode!r}); put it on a local file system, not a network share"
                )
            conn.execute(f"PRAGMA synchronous = {self.settings.synchronous.upper()}")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn, path)
            conn.execute("PRAGMA busy_timeout = 0")  # see _try_now
        except RunnersError:
            conn.close()
            raise
        except sqlite3.OperationalError as exc:
            conn.close()
            if _is_busy(exc):
                raise  # _open retries
            raise self._error(exc, "opening the database") from exc
        except sqlite3.Error as exc:
            conn.close()
            raise self._error(exc, "opening the database") from exc
        return conn

    def _close_connection(self) -> None:
        with self._conn_lock:
            if self._conn is None:
                return
            try:
                self._conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                pass  # only an optimisation hint; closing matters
            finally:
                self._conn.close()
                self._conn = None


def _is_busy(exc: sqlite3.Error) -> bool:
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc)


def _check_location(settings: SqliteSettings) -> None:
    """Clear errors for a path that cannot hold a database, before SQLite's terse ones."""
    path = settings.path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackendError(
            f"cannot create the directory {path.parent} for SQLite database {path} "
            f"({exc.strerror or exc}); create it yourself or point the URL at another path"
        ) from None
    if path.exists() and not path.is_file():
        raise BackendError(
            f"{path} is a directory, not a SQLite database file; point the URL at a file "
            f"inside it, e.g. sqlite:///{path / 'sessions.db'}"
        )
    if path.exists() and path.stat().st_nlink > 1:
        # SQLite keeps the write-ahead log beside the name a file was opened by: through
        # two hard links, writers use two logs, and each name misses the other's commits.
        raise ConfigError(
            f"SQLite database {path} has {path.stat().st_nlink} hard links; SQLite finds its "
            "write-ahead log by the file's name, so two names for one database lose each "
            "other's writes. Open it by one name only: remove the other links, and use a "
            "symbolic link (ln -s) where a second name is needed"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise read_only_error(path, "permission denied")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        # WAL keeps two companion files (-wal, -shm) next to the database.
        raise read_only_error(path, f"directory {path.parent} is not writable")


class DatabaseOwner:
    """What the three services share: one :class:`Database`, closed with the service."""

    _db: Database

    @property
    def database(self) -> Database:
        return self._db

    async def close(self) -> None:
        """Finish queued work and close the file; the service is unusable afterwards."""
        await self._db.close()
