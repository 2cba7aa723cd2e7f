"""Throwaway backends for the kit's own tests (copied into a child pytest run, not collected).

``JsonFileSessionService`` is a small but correct backend that shares one JSON
file between processes (every operation holds an ``flock``; ``lock_session``
holds a per-session ``flock``), so the cross-process part of the kit has
something real to pass. Each ``Broken*`` class breaks exactly one rule.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO, Any

from runners_core import hookimpl
from runners_core.artifacts.base import StoredArtifact
from runners_core.artifacts.in_memory import InMemoryArtifactService
from runners_core.errors import SessionExistsError
from runners_core.events import Event
from runners_core.memory.base import MemoryRecord, tokenize
from runners_core.memory.in_memory import InMemoryMemoryService
from runners_core.plugins.registry import ServiceRegistry
from runners_core.sessions.base import (
    BaseSessionService,
    EventRecord,
    StoredSession,
    missing_session,
)
from runners_core.sessions.in_memory import InMemorySessionService
from runners_core.state_ops import MISSING

Data = dict[str, Any]


def _key(*parts: str) -> str:
    return "\x1f".join(parts)


class JsonFileSessionService(BaseSessionService):
    """Everything in one JSON file under an exclusive flock; runs locked per session."""

    capabilities = frozenset({"cross_process_lock"})

    def __init__(self, directory: str | Path, **options: Any) -> None:
        super().__init__(**options)
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.data_path = self.directory / "sessions.json"

    @contextmanager
    def _db(self, write: bool = True) -> Iterator[Data]:
        with open(self.directory / "db.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data: Data = {"sessions": {}, "app": {}, "user": {}}
            if self.data_path.exists():
                data = json.loads(self.data_path.read_text())
            yield data
            if write:
                tmp = self.data_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(data))
                os.replace(tmp, self.data_path)

    def _stored(self, data: Data, key: tuple[str, str, str], events: list[str]) -> StoredSession:
        app_name, user_id, session_id = key
        row = data["sessions"][_key(*key)]
        return StoredSession(
            id=session_id,
            app_name=app_name,
            user_id=user_id,
            state=row["state"],
            app_state=data["app"].get(app_name, {}),
            user_state=data["user"].get(_key(app_name, user_id), {}),
            last_update_time=row["time"],
            events=[self.decode_event(e) for e in events],
        )

    @staticmethod
    def _apply(data: Data, app_name: str, user_id: str, app: Data, user: Data) -> None:
        data["app"].setdefault(app_name, {}).update(app)
        data["user"].setdefault(_key(app_name, user_id), {}).update(user)

    async def _get_scoped_state(self, *, app_name: str, user_id: str | None) -> tuple[Data, Data]:
        with self._db(write=False) as data:
            user = {} if user_id is None else data["user"].get(_key(app_name, user_id), {})
            return data["app"].get(app_name, {}), user

    async def _create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        state: Data,
        app_delta: Data,
        user_delta: Data,
        now: float,
    ) -> StoredSession:
        key = (app_name, user_id, session_id)
        with self._db() as data:
            if _key(*key) in data["sessions"]:
                raise SessionExistsError(*key)
            data["sessions"][_key(*key)] = {"state": state, "time": now, "events": [], "ids": []}
            self._apply(data, app_name, user_id, app_delta, user_delta)
            return self._stored(data, key, [])

    async def _get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        num_recent_events: int | None,
        after_timestamp: float | None,
    ) -> StoredSession | None:
        key = (app_name, user_id, session_id)
        with self._db(write=False) as data:
            row = data["sessions"].get(_key(*key))
            if row is None:
                return None
            events = row["events"]
            if num_recent_events is not None:
                events = events[-num_recent_events:] if num_recent_events else []
            stored = self._stored(data, key, events)
        if after_timestamp is not None:
            stored.events = [e for e in stored.events if e.timestamp >= after_timestamp]
        return stored

    async def _list_sessions(
        self, *, app_name: str, user_id: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[StoredSession]:
        after = after or ("", "")
        with self._db(write=False) as data:
            keys = sorted(
                (u, s)
                for a, u, s in (k.split("\x1f") for k in data["sessions"])
                if a == app_name and (user_id is None or u == user_id) and (u, s) > after
            )
            return [self._stored(data, (app_name, u, s), []) for u, s in keys[:limit]]

    async def _list_events(
        self, *, app_name: str, user_id: str, session_id: str, limit: int, after: int
    ) -> list[tuple[int, str | Event]]:
        with self._db(write=False) as data:
            row = data["sessions"].get(_key(app_name, user_id, session_id))
            if row is None:
                raise missing_session(app_name, user_id, session_id)
            page = row["events"][after : after + limit]
            return [(after + n, self.decode_event(e)) for n, e in enumerate(page, start=1)]

    async def _delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        with self._db() as data:
            data["sessions"].pop(_key(app_name, user_id, session_id), None)

    async def _append_event(
        self, *, app_name: str, user_id: str, session_id: str, record: EventRecord
    ) -> bool:
        with self._db() as data:
            row = data["sessions"].get(_key(app_name, user_id, session_id))
            if row is None:
                raise missing_session(app_name, user_id, session_id)
            if record.event.id in row["ids"]:
                return False
            app_state = data["app"].get(app_name, {})
            user_state = data["user"].get(_key(app_name, user_id), {})
            app_delta, user_delta, session_delta = record.deltas_with_ops(
                lambda k: app_state.get(k, MISSING),
                lambda k: user_state.get(k, MISSING),
                lambda k: row["state"].get(k, MISSING),
            )
            row["events"].append(record.json)
            row["ids"].append(record.event.id)
            row["state"].update(session_delta)
            row["time"] = record.event.timestamp
            self._apply(data, app_name, user_id, app_delta, user_delta)
            return True

    def _run_lock_file(self, digest: str) -> IO[str]:
        return open(self.directory / f"run-{digest}.lock", "a")

    @asynccontextmanager
    async def _process_lock(
        self, *, app_name: str, user_id: str, session_id: str, timeout: float | None
    ) -> AsyncIterator[bool]:
        digest = hashlib.sha256(_key(app_name, user_id, session_id).encode()).hexdigest()[:24]
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        with self._run_lock_file(digest) as lock:
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is not None and loop.time() >= deadline:
                        yield False  # the base class raises SessionBusyError
                        return
                    await asyncio.sleep(0.002)
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


class TtlInMemorySessions(InMemorySessionService):
    """Sessions expire *ttl* seconds after their last write (checked lazily)."""

    capabilities = frozenset({"ttl"})
    refresh_on_write = True

    def __init__(self, ttl: float = 3600.0, **options: Any) -> None:
        super().__init__(**options)
        self.ttl = ttl
        self._written: dict[tuple[str, str, str], float] = {}

    def _expire(self) -> None:
        now = time.monotonic()
        for key, written in list(self._written.items()):
            if now - written > self.ttl:
                del self._written[key]
                self._sessions.pop(key, None)

    async def _create_session(self, **kwargs: Any) -> StoredSession:
        self._expire()
        stored = await super()._create_session(**kwargs)
        self._written[(stored.app_name, stored.user_id, stored.id)] = time.monotonic()
        return stored

    async def _get_session(self, **kwargs: Any) -> StoredSession | None:
        self._expire()
        return await super()._get_session(**kwargs)

    async def _list_sessions(self, **kwargs: Any) -> list[StoredSession]:
        self._expire()
        return await super()._list_sessions(**kwargs)

    async def _append_event(
        self, *, app_name: str, user_id: str, session_id: str, record: EventRecord
    ) -> bool:
        self._expire()
        inserted = await super()._append_event(
            app_name=app_name, user_id=user_id, session_id=session_id, record=record
        )
        if self.refresh_on_write:
            self._written[(app_name, user_id, session_id)] = time.monotonic()
        return inserted


# ---------------------------------------------------------------- one broken rule each


class BrokenTtlRefreshSessions(TtlInMemorySessions):
    """Expires sessions a TTL after creation, however recently they were written."""

    refresh_on_write = False


class BrokenLockJsonFileSessions(JsonFileSessionService):
    """Claims cross_process_lock but only locks within one process."""

    @asynccontextmanager
    async def _process_lock(self, **_: Any) -> AsyncIterator[None]:
        yield


class BrokenIdempotencySessions(InMemorySessionService):
    """Stores (and re-applies) an event again when its id is re-appended."""

    async def _append_event(
        self, *, app_name: str, user_id: str, session_id: str, record: EventRecord
    ) -> bool:
        row = self._sessions.get((app_name, user_id, session_id))
        if row is not None:
            row.event_ids.discard(record.event.id)
        return await super()._append_event(
            app_name=app_name, user_id=user_id, session_id=session_id, record=record
        )


class BrokenUserScopeSessions(InMemorySessionService):
    """Drops every ``user:`` key instead of storing it for the user."""

    def _apply_scopes(self, app_name: str, user_id: str, app_delta: Data, user_delta: Data) -> None:
        super()._apply_scopes(app_name, user_id, app_delta, {})


class BrokenIdempotencyMemory(InMemoryMemoryService):
    """Stores an event again each time its session is added."""

    # One broken rule per backend: the optional retention area is not part of it.
    capabilities = frozenset({"delete"})

    async def _add(self, *, app_name: str, user_id: str, records: Sequence[MemoryRecord]) -> None:
        bucket = self._records.setdefault((app_name, user_id), {})
        for record in records:
            bucket[f"{record.id}#{len(bucket)}"] = (record, frozenset(tokenize(record.text)))

    async def _delete(
        self, *, app_name: str, user_id: str, memory_id: str | None, session_id: str | None
    ) -> None:
        bucket = self._records.get((app_name, user_id), {})
        for slot, (record, _) in list(bucket.items()):
            if memory_id in (None, record.id) and session_id in (None, record.session_id):
                del bucket[slot]


class BrokenScopeArtifacts(InMemoryArtifactService):
    """Ignores the session: every artifact lands in the user's scope."""

    # One broken rule per backend: the optional retention area is not part of it.
    capabilities = frozenset()

    async def _put(self, *, session_id: str | None, **where: Any) -> int:
        return await super()._put(session_id=None, **where)

    async def _get(self, *, session_id: str | None, **where: Any) -> StoredArtifact | None:
        return await super()._get(session_id=None, **where)

    async def _names(self, *, app_name: str, user_id: str, session_id: str | None) -> list[str]:
        return await super()._names(app_name=app_name, user_id=user_id, session_id=None)

    async def _versions(self, *, session_id: str | None, **where: Any) -> list[StoredArtifact]:
        return await super()._versions(session_id=None, **where)

    async def _delete(self, *, session_id: str | None, **where: Any) -> None:
        await super()._delete(session_id=None, **where)


@hookimpl
def register_services(registry: ServiceRegistry) -> None:
    registry.add_session_service("jsonfile", lambda url, **o: JsonFileSessionService(_path(url)))
    registry.add_session_service(
        "jsonfile-nolock", lambda url, **o: BrokenLockJsonFileSessions(_path(url))
    )


def _path(url: str) -> str:
    return url.split("://", 1)[1]
