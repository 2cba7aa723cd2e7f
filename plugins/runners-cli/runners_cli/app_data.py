"""Reading a whole app out of its services, and writing it into others.

:func:`app_lines` walks an app in a fixed order (sessions by user and id, each with its
events and session-scoped artifacts; then user-scoped artifacts; then memory) and
yields the lines of :mod:`runners_cli.app_format`. :class:`AppWriter` writes those
lines into services, skipping what is already there (event ids, artifact versions,
memory ids), so writing the same app twice changes nothing and an interrupted copy
resumes where it stopped. Comparing the digests of both sides' lines verifies a copy.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from runners_cli.app_format import (
    AppStateLine,
    ArtifactLine,
    BodyLine,
    Counter,
    EventLine,
    MemoryLine,
    SessionLine,
    UserStateLine,
    dump_parts,
)
from runners_cli.jsonl import _restore_scopes, _Scopes, list_session_keys
from runners_core.artifacts.base import ArtifactData, BaseArtifactService
from runners_core.errors import SessionExistsError
from runners_core.events import Event
from runners_core.memory.base import BaseMemoryService, MemoryRecord
from runners_core.sessions.base import BaseSessionService
from runners_core.sessions.session import GetSessionConfig, Session
from runners_core.sessions.state import split_state_delta

PAGE = 1000
LABELS = {"session": "sessions", "memory": "memories", "artifact": "artifacts"}
USER_SCOPE = "user:"

# (stage, done, total): total None when not known.
Progress = Callable[[str, int, int | None], None]


@dataclass
class Services:
    session: BaseSessionService
    memory: BaseMemoryService | None = None
    artifact: BaseArtifactService | None = None
    # Kinds the backend's URL does not offer (a Redis URL has no artifacts).
    missing: list[str] = field(default_factory=list)


@dataclass
class Unsupported:
    """Kinds a backend does not offer, reported instead of silently left out."""

    messages: list[str] = field(default_factory=list)

    def add(self, kind: str, error: Exception) -> None:
        message = f"{kind}: {error}"
        if message not in self.messages:
            self.messages.append(message)


async def app_lines(
    services: Services,
    app_name: str,
    *,
    unsupported: Unsupported | None = None,
    progress: Progress | None = None,
) -> AsyncIterator[BodyLine]:
    """Every body line of *app_name*, read a page at a time."""
    unsupported = unsupported if unsupported is not None else Unsupported()
    for kind in services.missing:
        unsupported.add(LABELS[kind], RuntimeError("the source backend does not offer them"))
    sessions = services.session
    keys = await list_session_keys(sessions, app_name=app_name)
    no_events = GetSessionConfig(num_recent_events=0)
    users: dict[str, str] = {}
    for user_id, session_id in keys:
        users.setdefault(user_id, session_id)
    if keys:
        first = await sessions.get_session(
            app_name=app_name, user_id=keys[0][0], session_id=keys[0][1], config=no_events
        )
        if first is not None:
            yield AppStateLine(state=split_state_delta(first.state).app)
    for user_id, session_id in users.items():
        one = await sessions.get_session(
            app_name=app_name, user_id=user_id, session_id=session_id, config=no_events
        )
        if one is not None:
            yield UserStateLine(user_id=user_id, state=split_state_delta(one.state).user)
    if progress:
        progress("sessions", 0, len(keys))
    for done, (user_id, session_id) in enumerate(keys, 1):
        head = await sessions.get_session(
            app_name=app_name, user_id=user_id, session_id=session_id, config=no_events
        )
        if head is None:
            continue  # deleted since it was listed
        yield SessionLine(
            user_id=user_id,
            id=session_id,
            state=split_state_delta(head.state).session,
            last_update_time=head.last_update_time,
        )
        token: str | None = None
        while True:
            page = await sessions.list_events(
                app_name=app_name,
                user_id=user_id,
                session_id=session_id,
                page_size=PAGE,
                page_token=token,
            )
            for event in page.events:
                yield EventLine(event=event)
            token = page.next_page_token
            if token is None:
                break
        async for line in _artifacts(services, app_name, user_id, session_id, unsupported):
            yield line
        if progress:
            progress("sessions", done, len(keys))
    for user_id in users:
        async for line in _artifacts(services, app_name, user_id, None, unsupported):
            yield line
    async for line in _memories(services, app_name, unsupported):
        yield line


async def _artifacts(
    services: Services,
    app_name: str,
    user_id: str,
    session_id: str | None,
    unsupported: Unsupported,
) -> AsyncIterator[ArtifactLine]:
    artifacts = services.artifact
    if artifacts is None:
        return
    names = await artifacts.list_artifact_keys(
        app_name=app_name, user_id=user_id, session_id=session_id
    )
    for name in names:
        if (session_id is None) != name.startswith(USER_SCOPE):
            continue  # each name once: session names with their session, user names last
        for info in await artifacts.list_artifact_versions(
            app_name=app_name, user_id=user_id, filename=name, session_id=session_id
        ):
            stored = await artifacts.read_artifact_version(
                app_name=app_name,
                user_id=user_id,
                filename=name,
                version=info.version,
                session_id=session_id,
            )
            if stored is None:
                continue
            yield ArtifactLine(
                user_id=user_id,
                session_id=session_id,
                filename=name,
                version=stored.version,
                kind=stored.data.kind,
                mime_type=stored.data.mime_type,
                custom_metadata=dict(stored.data.custom_metadata),
                create_time=stored.create_time,
                data=stored.data.data,
            )


async def _memories(
    services: Services, app_name: str, unsupported: Unsupported
) -> AsyncIterator[MemoryLine]:
    memory = services.memory
    if memory is None:
        return
    token: str | None = None
    while True:
        try:
            page, token = await memory.list_memories(
                app_name=app_name, page_size=PAGE, page_token=token
            )
        except NotImplementedError as exc:
            unsupported.add("memories", exc)
            return
        for user_id, record in page:
            yield MemoryLine(
                user_id=user_id,
                id=record.id,
                session_id=record.session_id,
                author=record.author,
                timestamp=record.timestamp,
                text=record.text,
                content=record.content_json,
                custom_metadata=dict(record.custom_metadata),
            )
        if token is None:
            return


async def digest(services: Services, app_name: str) -> Counter:
    """Counts and a checksum of everything the app holds, for verification."""
    counter = Counter()
    async for line in app_lines(services, app_name):
        if isinstance(line, SessionLine):
            # An imported session's last update is its last event's time; one without
            # events gets the import's time. Compared through its events instead.
            line = line.model_copy(update={"last_update_time": 0.0})
        if isinstance(line, AppStateLine | UserStateLine | SessionLine):
            # Key order is not data: backends may hand back a state's keys in any order.
            state = json.dumps(line.model_dump(mode="json"), sort_keys=True)
            counter.add(line, state + "\n")
        else:
            counter.add_parts(line, dump_parts(line))
    return counter


@dataclass
class WriteSummary:
    sessions_created: int = 0
    sessions_existing: int = 0
    events_written: int = 0
    events_present: int = 0
    artifact_versions_written: int = 0
    artifact_versions_present: int = 0
    memories: int = 0
    scopes_restored: int = 0


class AppWriter:
    """Writes body lines into *services* under *app_name*; idempotent and resumable."""

    def __init__(self, services: Services, app_name: str, unsupported: Unsupported) -> None:
        self.services = services
        self.app = app_name
        self.unsupported = unsupported
        for kind in services.missing:
            unsupported.add(LABELS[kind], RuntimeError("the target backend does not offer them"))
        self.summary = WriteSummary()
        self._session: Session | None = None
        self._present: set[str] = set()
        self._events: list[Event] = []
        self._scopes = _Scopes()
        self._app_state: dict[str, Any] = {}
        self._user_states: dict[str, dict[str, Any]] = {}
        self._memories: dict[str, list[MemoryRecord]] = {}

    async def write(self, line: BodyLine) -> None:
        if isinstance(line, EventLine):
            await self._event(line)
            return
        await self._flush_events()
        if isinstance(line, SessionLine):
            await self._open_session(line)
        elif isinstance(line, ArtifactLine):
            await self._artifact(line)
        elif isinstance(line, MemoryLine):
            await self._memory(line)
        elif isinstance(line, AppStateLine):
            self._app_state = line.state
        elif isinstance(line, UserStateLine):
            self._user_states[line.user_id] = line.state

    async def finish(self) -> WriteSummary:
        await self._flush_events()
        for user_id in list(self._memories):
            await self._flush_memories(user_id)
        # Replaying events re-applied app: and user: deltas in session order; put the
        # exported values back (the sessions importer's rule).
        self._scopes.app[self.app] = self._app_state
        for (app, user_id), _ in list(self._scopes.some_session.items()):
            self._scopes.user[(app, user_id)] = self._user_states.get(user_id, {})
        if self._scopes.some_session:
            self.summary.scopes_restored = await _restore_scopes(
                self.services.session, self._scopes
            )
        return self.summary

    async def _open_session(self, line: SessionLine) -> None:
        sessions = self.services.session
        key = {"app_name": self.app, "user_id": line.user_id, "session_id": line.id}
        self._present = set()
        try:
            session = await sessions.create_session(**key, state=line.state)
            self.summary.sessions_created += 1
        except SessionExistsError:
            session = await sessions.get_session(
                **key, config=GetSessionConfig(num_recent_events=0)
            )
            assert session is not None
            self.summary.sessions_existing += 1
            token: str | None = None
            while True:  # what an interrupted copy already wrote
                page = await sessions.list_events(**key, page_size=PAGE, page_token=token)
                self._present.update(e.id for e in page.events)
                token = page.next_page_token
                if token is None:
                    break
        self._session = session
        self._scopes.some_session.setdefault((self.app, line.user_id), line.id)

    async def _event(self, line: EventLine) -> None:
        assert self._session is not None
        if line.event.id in self._present:
            self.summary.events_present += 1
            return
        self._events.append(line.event)
        if len(self._events) >= PAGE:
            await self._flush_events()

    async def _flush_events(self) -> None:
        if not self._events or self._session is None:
            return
        batch, self._events = self._events, []
        session = self._session
        # One write per batch where the backend can (SQLite: one transaction).
        self.summary.events_written += await self.services.session.import_events(
            app_name=self.app, user_id=session.user_id, session_id=session.id, events=batch
        )

    async def _artifact(self, line: ArtifactLine) -> None:
        artifacts = self.services.artifact
        if artifacts is None:
            self.unsupported.add(
                "artifacts", RuntimeError("the target backend does not offer them")
            )
            return
        try:
            written = await artifacts.import_artifact_version(
                app_name=self.app,
                user_id=line.user_id,
                filename=line.filename,
                version=line.version,
                session_id=line.session_id,
                create_time=line.create_time,
                data=ArtifactData(line.kind, line.data, line.mime_type, line.custom_metadata),
            )
        except NotImplementedError as exc:
            self.unsupported.add("artifacts", exc)
            return
        if written:
            self.summary.artifact_versions_written += 1
        else:
            self.summary.artifact_versions_present += 1

    async def _memory(self, line: MemoryLine) -> None:
        if self.services.memory is None:
            self.unsupported.add("memories", RuntimeError("the target backend does not offer them"))
            return
        bucket = self._memories.setdefault(line.user_id, [])
        bucket.append(
            MemoryRecord(
                id=line.id,
                session_id=line.session_id,
                author=line.author,
                timestamp=line.timestamp,
                text=line.text,
                content_json=line.content,
                custom_metadata=line.custom_metadata,
            )
        )
        if len(bucket) >= PAGE:
            await self._flush_memories(line.user_id)

    async def _flush_memories(self, user_id: str) -> None:
        records = self._memories.pop(user_id, [])
        if records and self.services.memory is not None:
            await self.services.memory.import_memories(
                app_name=self.app, user_id=user_id, records=records
            )
            self.summary.memories += len(records)
