"""Artifacts kept in this process's memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from runners_core.artifacts.base import ArtifactData, BaseArtifactService, StoredArtifact

_Key = tuple[str, str, str | None, str]


class InMemoryArtifactService(BaseArtifactService):
    """Every version of every artifact in a dictionary; nothing survives the process."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"retention"})

    def __init__(self, **options: int) -> None:
        super().__init__(**options)
        self._store: dict[_Key, list[StoredArtifact]] = {}

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
        versions = self._store.setdefault((app_name, user_id, session_id, filename), [])
        version = versions[-1].version + 1 if versions else 0
        versions.append(StoredArtifact(version, data, now))
        return version

    async def _get(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        version: int | None,
    ) -> StoredArtifact | None:
        versions = self._store.get((app_name, user_id, session_id, filename))
        if not versions:
            return None
        if version is None:
            return versions[-1]
        return next((v for v in versions if v.version == version), None)

    async def _names(self, *, app_name: str, user_id: str, session_id: str | None) -> list[str]:
        return [
            name
            for (a, u, s, name), versions in self._store.items()
            if a == app_name and u == user_id and s == session_id and versions
        ]

    async def _versions(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> list[StoredArtifact]:
        return list(self._store.get((app_name, user_id, session_id, filename), []))

    async def _delete(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> None:
        self._store.pop((app_name, user_id, session_id, filename), None)

    async def _delete_versions(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        versions: Sequence[int],
    ) -> None:
        stored = self._store.get((app_name, user_id, session_id, filename))
        if stored:
            doomed = set(versions)
            stored[:] = [v for v in stored if v.version not in doomed]

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
        stored = self._store.setdefault((app_name, user_id, session_id, filename), [])
        if any(v.version == version for v in stored):
            return False
        stored.append(StoredArtifact(version, data, create_time))
        stored.sort(key=lambda v: v.version)
        return True
