"""Artifacts as files: one directory per name, two files per version.

::

    <root>/<app>/<user>/user/<name>/            user-wide names (``user:...``, no session)
    <root>/<app>/<user>/sessions/<session>/<name>/
        0.data   0.json                         payload and its JSON sidecar
        1.data   1.json

Each value is one path component (see :mod:`runners_core.artifacts.keys`). A save writes the
payload to a temporary file in the artifact's directory and fsyncs it, then claims the
next version by hard-linking it as ``<n>.data``: ``link`` fails when the name exists,
so two writers, in any processes, never get the same number. The sidecar is written the
same way and renamed to ``<n>.json``, then the directory is fsynced. A version exists
once its sidecar does; a crash before that leaves an invisible ``<n>.data`` whose
number is simply never used again.
"""

from __future__ import annotations

import asyncio
import errno
import os
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from runners_core.artifacts import keys, sidecars
from runners_core.artifacts.base import (
    DEFAULT_MAX_ARTIFACT_BYTES,
    ArtifactData,
    BaseArtifactService,
    StoredArtifact,
    scope_segments,
)
from runners_core.errors import BackendError
from runners_files import tree
from runners_files.errors import ForeignContentError
from runners_files.root import RootInfo, prepare
from runners_files.settings import parse_url

T = TypeVar("T")

SIDECAR_FORMAT = "runners-files/1"
STALE_TEMP_SECONDS = 3600.0
"""A temporary file this old belongs to a writer that died; saves of the name remove it."""
_VERSION_FILE = re.compile(r"^(0|[1-9][0-9]{0,17})\.(data|json)$")


class FileArtifactService(BaseArtifactService):
    """Versioned artifacts as files under a root directory.

    ::

        FileArtifactService("file://.runners/artifacts")
        FileArtifactService("/var/lib/agents/artifacts")   # a plain path works too
    """

    scheme: ClassVar[str] = "file"
    capabilities: ClassVar[frozenset[str]] = frozenset({"retention"})

    def __init__(self, url: str | os.PathLike[str], **options: Any) -> None:
        if isinstance(url, os.PathLike) or not str(url).lower().startswith("file://"):
            url = "file://" + str(Path(url).expanduser().absolute())
        settings = parse_url(url, **options)
        limit = settings.max_artifact_bytes or DEFAULT_MAX_ARTIFACT_BYTES
        super().__init__(max_artifact_bytes=limit)
        self.root: Path = settings.root
        self._fsync = settings.fsync
        self._info: RootInfo | None = None
        self._info_lock = threading.Lock()

    # ------------------------------------------------------------------ storage primitives

    async def _put(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        data: ArtifactData,
        now: float,
    ) -> int:
        sidecar = sidecars.describe(
            format=SIDECAR_FORMAT,
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            filename=filename,
            data=data,
            now=now,
        )

        def put(root_fd: int, info: RootInfo) -> int:
            sidecar["sha256"] = sidecars.checksum(data.data)
            parts = [*self._scope_parts(info, app_name, user_id, session_id)]
            parts.append(keys.encode(filename, fold_case=info.fold_case))
            with tree.opened(root_fd, parts, create=True, sync=self._fsync) as art:
                assert art is not None
                committed, claimed = _scan(art, parts)
                if committed:
                    _read_sidecar(art, parts, max(committed), filename)  # same name, not a clash
                tree.remove_stale_temps(art, older_than=STALE_TEMP_SECONDS)
                temp = tree.write_temp(art, data.data, sync=self._fsync)
                try:
                    version = claimed + 1
                    while not tree.link_new(art, temp, f"{version}.data"):
                        version += 1
                    sidecar["version"] = version
                    meta = tree.write_temp(art, sidecars.encode(sidecar), sync=self._fsync)
                    os.rename(meta, f"{version}.json", src_dir_fd=art, dst_dir_fd=art)
                finally:
                    tree.remove(art, temp)
                if self._fsync:
                    os.fsync(art)
                return version

        return await self._run("saving an artifact", put)

    async def _get(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        version: int | None,
    ) -> StoredArtifact | None:
        def get(root_fd: int, info: RootInfo) -> StoredArtifact | None:
            parts = [*self._scope_parts(info, app_name, user_id, session_id)]
            parts.append(keys.encode(filename, fold_case=info.fold_case))
            with tree.opened(root_fd, parts, create=False) as art:
                if art is None:
                    return None
                wanted = version
                if wanted is None:
                    committed, _ = _scan(art, parts)
                    if not committed:
                        return None
                    wanted = max(committed)
                sidecar = _read_sidecar(art, parts, wanted, filename)
                if sidecar is None:
                    return None
                payload = _read(art, parts, f"{wanted}.data")
                problem = sidecars.payload_problem(sidecar, payload)
                if problem is not None:
                    where = tree.relative([*parts, f"{wanted}.data"])
                    raise BackendError(
                        f"artifact file {where!r} {problem}; restore it from a backup or "
                        "delete the artifact"
                    )
                assert payload is not None
                return sidecars.stored(sidecar, payload)

        return await self._run("loading an artifact", get)

    async def _names(self, *, app_name: str, user_id: str, session_id: str | None) -> list[str]:
        def names(root_fd: int, info: RootInfo) -> list[str]:
            parts = self._scope_parts(info, app_name, user_id, session_id)
            found: list[str] = []
            with tree.opened(root_fd, parts, create=False) as scope:
                if scope is None:
                    return []
                for entry in sorted(tree.entries(scope)):
                    if entry.startswith("."):
                        continue  # the store's own temporary entries (and .DS_Store)
                    name = _name_of(scope, [*parts, entry], info)
                    if name is not None:
                        found.append(name)
            return found

        return await self._run("listing artifacts", names)

    async def _versions(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> list[StoredArtifact]:
        def versions(root_fd: int, info: RootInfo) -> list[StoredArtifact]:
            parts = [*self._scope_parts(info, app_name, user_id, session_id)]
            parts.append(keys.encode(filename, fold_case=info.fold_case))
            out: list[StoredArtifact] = []
            with tree.opened(root_fd, parts, create=False) as art:
                if art is None:
                    return []
                committed, _ = _scan(art, parts)
                for number in sorted(committed):
                    sidecar = _read_sidecar(art, parts, number, filename)
                    if sidecar is not None:  # None: deleted meanwhile
                        out.append(sidecars.stored(sidecar, b""))
            return out

        return await self._run("listing artifact versions", versions)

    async def _delete(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> None:
        def delete(root_fd: int, info: RootInfo) -> None:
            parts = self._scope_parts(info, app_name, user_id, session_id)
            entry = keys.encode(filename, fold_case=info.fold_case)
            with tree.opened(root_fd, parts, create=False) as scope:
                if scope is None:
                    return
                # Refuses a symlink or a file planted under the artifact's name.
                with tree.opened(scope, [entry], create=False, prefix=parts) as art:
                    if art is None:
                        return
                # Renaming first makes every version disappear at once, even if the
                # removal below is interrupted; dot-entries are never listed.
                trash = f".deleted-{uuid.uuid4().hex}"
                try:
                    os.rename(entry, trash, src_dir_fd=scope, dst_dir_fd=scope)
                except FileNotFoundError:
                    return
                os.fsync(scope)
                tree.remove_tree(scope, trash)

        await self._run("deleting an artifact", delete)

    async def _delete_versions(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        versions: Sequence[int],
    ) -> None:
        def delete_versions(root_fd: int, info: RootInfo) -> None:
            parts = [*self._scope_parts(info, app_name, user_id, session_id)]
            parts.append(keys.encode(filename, fold_case=info.fold_case))
            with tree.opened(root_fd, parts, create=False) as art:
                if art is None:
                    return
                committed, _ = _scan(art, parts)
                if committed:
                    _read_sidecar(art, parts, max(committed), filename)  # same name, not a clash
                for version in versions:
                    # The sidecar first: the version disappears before its payload does.
                    tree.remove(art, f"{version}.json")
                    tree.remove(art, f"{version}.data")
                if self._fsync:
                    os.fsync(art)

        await self._run("deleting artifact versions", delete_versions)

    async def _put_version(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        version: int,
        data: ArtifactData,
        create_time: float,
    ) -> bool:
        sidecar = sidecars.describe(
            format=SIDECAR_FORMAT,
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            filename=filename,
            data=data,
            now=create_time,
        )

        def put_version(root_fd: int, info: RootInfo) -> bool:
            sidecar["sha256"] = sidecars.checksum(data.data)
            sidecar["version"] = version
            parts = [*self._scope_parts(info, app_name, user_id, session_id)]
            parts.append(keys.encode(filename, fold_case=info.fold_case))
            with tree.opened(root_fd, parts, create=True, sync=self._fsync) as art:
                assert art is not None
                committed, _ = _scan(art, parts)
                if committed:
                    _read_sidecar(art, parts, max(committed), filename)  # same name, not a clash
                if version in committed:
                    return False
                temp = tree.write_temp(art, data.data, sync=self._fsync)
                try:
                    if not tree.link_new(art, temp, f"{version}.data"):
                        # Claimed: by a writer still at work, or by one that died before
                        # writing the sidecar (then the claim is old and is taken over).
                        if _read_sidecar(art, parts, version, filename) is not None:
                            return False
                        if not tree.is_stale(art, f"{version}.data", STALE_TEMP_SECONDS):
                            raise BackendError(
                                f"version {version} of artifact {filename!r} is being written "
                                "by another writer; retry the import when it is done"
                            )
                        os.rename(temp, f"{version}.data", src_dir_fd=art, dst_dir_fd=art)
                    meta = tree.write_temp(art, sidecars.encode(sidecar), sync=self._fsync)
                    os.rename(meta, f"{version}.json", src_dir_fd=art, dst_dir_fd=art)
                finally:
                    tree.remove(art, temp)
                if self._fsync:
                    os.fsync(art)
                return True

        return await self._run("importing an artifact version", put_version)

    def canonical_uri(
        self, app_name: str, user_id: str, session_id: str | None, filename: str, version: int
    ) -> str:
        """The ``file://`` URI of the version's payload file."""
        info = self._root_info()
        parts = self._scope_parts(info, app_name, user_id, session_id)
        entry = keys.encode(filename, fold_case=info.fold_case)
        return self.root.joinpath(*parts, entry, f"{version}.data").as_uri()

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _scope_parts(
        info: RootInfo, app_name: str, user_id: str, session_id: str | None
    ) -> list[str]:
        fold = info.fold_case
        parts = [keys.encode(app_name, fold_case=fold), keys.encode(user_id, fold_case=fold)]
        return [*parts, *scope_segments(session_id, lambda s: keys.encode(s, fold_case=fold))]

    def _root_info(self) -> RootInfo:
        with self._info_lock:
            if self._info is None:
                self._info = prepare(self.root)
            return self._info

    async def _run(self, what: str, action: Callable[[int, RootInfo], T]) -> T:
        def call() -> T:
            info = self._root_info()
            try:
                root_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
            except OSError as exc:
                raise BackendError(
                    f"{what}: cannot open the artifact root {str(self.root)!r}: {exc.strerror}"
                ) from None
            try:
                return action(root_fd, info)
            except OSError as exc:
                hint = " (the disk is full)" if exc.errno == errno.ENOSPC else ""
                raise BackendError(
                    f"{what} failed under the artifact root {str(self.root)!r}: "
                    f"{exc.strerror}{hint}"
                ) from exc
            finally:
                os.close(root_fd)

        return await asyncio.to_thread(call)


def _scan(art: int, parts: list[str]) -> tuple[set[int], int]:
    """Committed versions (with a sidecar) and the highest number claimed by any file."""
    committed: set[int] = set()
    claimed = -1
    for entry in tree.entries(art):
        if entry.startswith("."):
            continue  # temporary files of writers in progress (or crashed)
        match = _VERSION_FILE.match(entry)
        if match is None:
            raise _foreign([*parts, entry], "is not a version file (<n>.data or <n>.json)")
        number = int(match.group(1))
        claimed = max(claimed, number)
        if match.group(2) == "json":
            committed.add(number)
    return committed, claimed


def _read(art: int, parts: list[str], name: str) -> bytes | None:
    try:
        return tree.read_all(art, name)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise _foreign([*parts, name], "is a symbolic link") from None
        raise


def _read_sidecar(art: int, parts: list[str], version: int, filename: str) -> dict[str, Any] | None:
    raw = _read(art, parts, f"{version}.json")
    if raw is None:
        return None
    where = [*parts, f"{version}.json"]
    try:
        sidecar = sidecars.parse(raw, format=SIDECAR_FORMAT, version=version)
    except ValueError as exc:
        raise _foreign(where, str(exc)) from None
    if sidecar["name"] != filename:
        raise ForeignContentError(
            f"{tree.relative(where)!r} belongs to artifact {sidecar['name']!r}, not "
            f"{filename!r}: the two names map to one directory (a file system that folds "
            "case or Unicode normalisation, with a root created elsewhere?); rename one of them"
        )
    return sidecar


def _name_of(scope: int, parts: list[str], info: RootInfo) -> str | None:
    """The artifact name stored in directory *parts*, None if it holds no version yet."""
    entry = parts[-1]
    with tree.opened(scope, [entry], create=False, prefix=parts[:-1]) as art:
        if art is None:
            return None  # deleted meanwhile
        committed, _ = _scan(art, parts)
        if not committed:
            return None  # a first save in progress, or one that crashed
        if keys.is_hashed(entry):
            raw = _read(art, parts, f"{max(committed)}.json")
            name = sidecars.name_in(raw)
            if name is None or not keys.hashed_matches(entry, name):
                raise _foreign(parts, "is a hashed name whose sidecar does not match it")
            return name
    name = keys.decode(entry, fold_case=info.fold_case)
    if name is None:
        raise _foreign(parts, "is not a name runners-files would write")
    return name


def _foreign(parts: list[str], what: str) -> ForeignContentError:
    return ForeignContentError(
        f"{tree.relative(parts)!r} in the artifact root {what}, so it was not written by "
        "runners-files (by hand, or by another program?); move it out of the artifact root"
    )
