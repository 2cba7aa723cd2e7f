"""File operations that never leave the artifact root.

Every path below the root is walked one component at a time with ``O_NOFOLLOW``
relative to the parent's descriptor (``dir_fd``), so a symbolic link planted anywhere
inside the root, pointing anywhere, is refused instead of followed, even if it appears
between a check and a use. Components come from :mod:`runners_core.artifacts.keys`, so they
never contain ``/`` or ``..``.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from runners_core.errors import BackendError
from runners_files.errors import ForeignContentError

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | _CLOEXEC
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC
TEMP_PREFIX = ".tmp-"
CHUNK = 1024 * 1024


def relative(parts: Sequence[str]) -> str:
    return "/".join(parts) or "."


def _is_link(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _refuse(parts: Sequence[str], exc: OSError, dir_fd: int) -> BackendError:
    where = relative(parts)
    # O_DIRECTORY|O_NOFOLLOW on a link gives ELOOP or ENOTDIR depending on the system.
    if exc.errno in (errno.ELOOP, errno.EMLINK) or _is_link(dir_fd, parts[-1]):
        return ForeignContentError(
            f"{where!r} in the artifact root is a symbolic link, which runners-files never "
            "follows (it could lead out of the root); remove it or move it out of the "
            "artifact root"
        )
    if exc.errno == errno.ENOTDIR:
        return ForeignContentError(
            f"{where!r} in the artifact root is a file where runners-files keeps a "
            "directory, so it was not written by runners-files; move it out of the "
            "artifact root"
        )
    return BackendError(f"cannot open {where!r} in the artifact root: {exc.strerror}")


def open_dir(
    root_fd: int,
    parts: Sequence[str],
    *,
    create: bool,
    prefix: Sequence[str] = (),
    sync: bool = True,
) -> int | None:
    """A descriptor of root/parts (caller closes it), or None if missing and not *create*.

    *prefix* is where *root_fd* itself is below the root, for messages.
    """
    prefix = list(prefix)
    fd = os.dup(root_fd)
    try:
        for i, part in enumerate(parts):
            try:
                child = os.open(part, _DIR, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    os.close(fd)
                    return None
                try:
                    os.mkdir(part, dir_fd=fd)
                    if sync:
                        os.fsync(fd)  # the new entry survives a crash with what goes into it
                except FileExistsError:
                    pass  # another writer made it meanwhile
                except OSError as exc:
                    raise _refuse([*prefix, *parts[: i + 1]], exc, fd) from None
                try:
                    child = os.open(part, _DIR, dir_fd=fd)
                except OSError as exc:
                    raise _refuse([*prefix, *parts[: i + 1]], exc, fd) from None
            except OSError as exc:
                raise _refuse([*prefix, *parts[: i + 1]], exc, fd) from None
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


@contextmanager
def opened(
    root_fd: int,
    parts: Sequence[str],
    *,
    create: bool,
    prefix: Sequence[str] = (),
    sync: bool = True,
) -> Iterator[int | None]:
    fd = open_dir(root_fd, parts, create=create, prefix=prefix, sync=sync)
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


def entries(dir_fd: int) -> list[str]:
    return os.listdir(dir_fd)


def write_temp(dir_fd: int, data: bytes | memoryview, *, sync: bool = True) -> str:
    """Write *data* to a new temporary file in the directory (fsynced if *sync*); its name."""
    name = f"{TEMP_PREFIX}{uuid.uuid4().hex}"
    fd = os.open(name, _NEW, 0o666, dir_fd=dir_fd)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view[:CHUNK])
            view = view[written:]
        if sync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(name, dir_fd=dir_fd)
        raise
    os.close(fd)
    return name


def remove_stale_temps(dir_fd: int, *, older_than: float) -> None:
    """Remove temporary files not modified for *older_than* seconds (their writer died).

    A live writer finishes its temporary file within one save, so an old one is a
    leftover of a crash. Claimed ``<n>.data`` files without a sidecar are kept: they
    are what keeps a dead writer's version number from being handed out again.
    """
    cutoff = time.time() - older_than
    for name in os.listdir(dir_fd):
        if not name.startswith(TEMP_PREFIX):
            continue
        try:
            if os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mtime < cutoff:
                os.unlink(name, dir_fd=dir_fd)
        except FileNotFoundError:
            pass  # another writer cleaned it up first


def is_stale(dir_fd: int, name: str, older_than: float) -> bool:
    """Whether *name* was last modified more than *older_than* seconds ago (False if gone)."""
    try:
        modified = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mtime
    except FileNotFoundError:
        return False
    return modified < time.time() - older_than


def link_new(dir_fd: int, source: str, target: str) -> bool:
    """Give the file *source* the extra name *target* unless *target* exists (True if done).

    ``link`` never replaces an existing entry, which is what makes it a claim: of two
    writers linking the same name, exactly one succeeds.
    """
    try:
        os.link(source, target, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise BackendError(
                "the file system of the artifact root does not support hard links, which "
                "runners-files needs to claim version numbers safely; put the root on a local "
                "POSIX file system (ext4, xfs, btrfs, APFS, ...)"
            ) from None
        raise
    return True


def read_all(dir_fd: int, name: str) -> bytes | None:
    """The content of *name* (never through a symlink), or None if it does not exist."""
    try:
        fd = os.open(name, _READ, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    try:
        # One read of the known size: no buffered reader growing its buffer step by step.
        size = os.fstat(fd).st_size
        data = os.read(fd, size) if size else b""
        if len(data) < size:  # short reads are rare; finish the slow way
            chunks = [data]
            while chunk := os.read(fd, CHUNK):
                chunks.append(chunk)
            data = b"".join(chunks)
        return data
    finally:
        os.close(fd)


def remove(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def remove_tree(dir_fd: int, name: str) -> None:
    """Delete the directory *name* and everything in it, never following links."""
    shutil.rmtree(name, dir_fd=dir_fd)
