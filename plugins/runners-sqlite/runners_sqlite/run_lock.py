"""Serialising runs on one session across processes: ``flock`` on a per-session lock file.

The files live in ``<database>-locks/``, named by a hash of (app, user, session).
The operating system releases a ``flock`` when its process dies, so a crashed
runner never leaves a session locked.

A holder deletes its file while still holding it, so the directory does not fill
up with one file per session ever run. Whoever then wins a lock checks that the
file it locked is still the one at the path (same inode); if it is not, it locked
a deleted file and tries again on the current one. This is the usual way to make
deleting lock files safe.

Waiting: a non-blocking attempt comes first, on the caller's loop (a few system
calls on a local file). Only if the session is busy does a dedicated thread block
in ``flock``, so the kernel wakes it the moment the holder lets go; the caller
waits for it with its timeout. A thread stuck in ``flock`` cannot be interrupted,
so on timeout or cancellation it is abandoned: when it finally gets the lock it
lets go at once.

Within one process, services that opened the same database file (under any name:
a symbolic link, a relative path) share one kernel ``KeyedLock`` per file, keyed by
device and inode, so their runs queue in order without a thread each.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from runners_core.errors import BackendError
from runners_core.sessions.locks import KeyedLock

SUPPORTED = sys.platform != "win32"
if SUPPORTED:
    import fcntl


_FILE_LOCKS: weakref.WeakValueDictionary[tuple[int, int], KeyedLock] = weakref.WeakValueDictionary()
_FILE_LOCKS_MUTEX = threading.Lock()


def shared_run_locks(database: Path) -> KeyedLock | None:
    """The in-process run locks of the file at *database*; None while it does not exist.

    Kept alive by the services holding them; a file whose services are all gone
    takes its entry with it.
    """
    try:
        info = os.stat(database)
    except OSError:
        return None
    identity = (info.st_dev, info.st_ino)
    with _FILE_LOCKS_MUTEX:
        locks = _FILE_LOCKS.get(identity)
        if locks is None:
            locks = KeyedLock()
            _FILE_LOCKS[identity] = locks
        return locks


class SessionLockFiles:
    """Per-session lock files in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, app_name: str, user_id: str, session_id: str) -> Path:
        digest = hashlib.sha256(json.dumps([app_name, user_id, session_id]).encode()).hexdigest()
        return self.directory / f"{digest[:40]}.lock"

    @asynccontextmanager
    async def hold(
        self, app_name: str, user_id: str, session_id: str, timeout: float | None
    ) -> AsyncIterator[bool]:
        """Hold the session's lock in the block; yields False if *timeout* passed first."""
        path = self.path_for(app_name, user_id, session_id)
        fd = self._try(path)
        if fd is None and (timeout is None or timeout > 0):
            fd = await _wait(path, timeout)
        if fd is None:
            yield False
            return
        try:
            yield True
        finally:
            _release(path, fd)

    def _try(self, path: Path) -> int | None:
        try:
            try:
                return _acquire(path, blocking=False)
            except FileNotFoundError:
                # The directory is made on first need only: trying to make it before
                # every run cost a failing system call per turn.
                self.directory.mkdir(parents=True, exist_ok=True)
                return _acquire(path, blocking=False)
        except OSError as exc:
            raise BackendError(
                f"cannot use the session lock file {path} ({exc.strerror or exc}); make "
                f"{self.directory} writable for this user, or remove it if it is not a directory"
            ) from None


def _acquire(path: Path, *, blocking: bool) -> int | None:
    """A descriptor holding an exclusive lock on the file now at *path*, or None if busy."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    mode = fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB
    while True:
        fd = os.open(path, flags, 0o644)
        try:
            fcntl.flock(fd, mode)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        if _is_current(fd, path):
            return fd
        os.close(fd)  # the holder deleted this file as it let go: lock the current one


def _is_current(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_ino, mine.st_dev) == (on_disk.st_ino, on_disk.st_dev)


def _release(path: Path, fd: int) -> None:
    try:
        os.unlink(path)  # while still holding it: see the module docstring
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)


class _Waiter:
    """Hands the descriptor from the blocking thread to the caller, or back if abandoned."""

    def __init__(self) -> None:
        self.mutex = threading.Lock()
        self.abandoned = False
        self.fd: int | None = None


async def _wait(path: Path, timeout: float | None) -> int | None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[int] = loop.create_future()
    waiter = _Waiter()

    def deliver(result: int | BaseException) -> None:
        if future.done():
            return
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)

    def block() -> None:
        try:
            fd = _acquire(path, blocking=True)
        except BaseException as exc:
            error = BackendError(f"waiting for the session lock file {path} failed: {exc}")
            _call_soon(loop, deliver, error)
            return
        assert fd is not None
        with waiter.mutex:
            if waiter.abandoned:
                os.close(fd)  # nobody wants it any more: let the next waiter in
                return
            waiter.fd = fd
        if not _call_soon(loop, deliver, fd):
            with waiter.mutex:
                waiter.abandoned, waiter.fd = True, None
            os.close(fd)

    threading.Thread(target=block, name="runners-sqlite-lock", daemon=True).start()
    try:
        return await asyncio.wait_for(asyncio.shield(future), timeout)
    except (TimeoutError, asyncio.CancelledError) as exc:
        with waiter.mutex:
            waiter.abandoned = True
            fd, waiter.fd = waiter.fd, None
        if fd is not None:
            os.close(fd)  # it arrived just as we gave up
        if isinstance(exc, asyncio.CancelledError):
            raise
        return None


def _call_soon(loop: asyncio.AbstractEventLoop, callback: object, arg: object) -> bool:
    try:
        loop.call_soon_threadsafe(callback, arg)  # type: ignore[arg-type]
        return True
    except RuntimeError:  # the loop is closed
        return False
