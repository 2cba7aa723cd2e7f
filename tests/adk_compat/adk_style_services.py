"""Services written the way ADK documents custom services: public async methods only.

They subclass our base classes but override ADK's public methods, never the
storage primitives, exactly as an ADK user's existing service does. The
conformance kit runs against them (see test_adk_style_contract.py).
"""

from __future__ import annotations

import copy
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from runners_core import (
    ArtifactVersion,
    BaseArtifactService,
    BaseMemoryService,
    BaseSessionService,
    Event,
    ListSessionsResponse,
    MemoryEntry,
    Part,
    SearchMemoryResponse,
    Session,
)
from runners_core.errors import SessionExistsError, SessionNotFoundError, ValidationError
from runners_core.identifiers import validate_artifact_name, validate_id
from runners_core.sessions.session import GetSessionConfig


class DictSessionService(BaseSessionService):
    """Sessions in dicts, with app:/user: state kept apart as ADK's in-memory service does."""

    def __init__(self) -> None:
        self.sessions: dict[tuple[str, str, str], Session] = {}
        self.app_state: dict[str, dict[str, Any]] = {}
        self.user_state: dict[tuple[str, str], dict[str, Any]] = {}

    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        state: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> Session:
        for kind, value in (("app_name", app_name), ("user_id", user_id)):
            validate_id(kind, value)
        session_id = validate_id("session_id", session_id) if session_id else str(uuid.uuid4())
        if (app_name, user_id, session_id) in self.sessions:
            raise SessionExistsError(app_name, user_id, session_id)
        own = self._store_scoped(app_name, user_id, state or {})
        session = Session(
            id=session_id,
            app_name=app_name,
            user_id=user_id,
            state=own,
            last_update_time=time.time(),
        )
        self.sessions[(app_name, user_id, session_id)] = session
        return self._merged(session)

    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        config: GetSessionConfig | None = None,
    ) -> Session | None:
        for kind, value in (
            ("app_name", app_name),
            ("user_id", user_id),
            ("session_id", session_id),
        ):
            validate_id(kind, value)
        session = self.sessions.get((app_name, user_id, session_id))
        if session is None:
            return None
        copied = self._merged(session)
        if config is not None:
            if config.after_timestamp is not None:
                copied.events = [e for e in copied.events if e.timestamp >= config.after_timestamp]
            if config.num_recent_events is not None:
                keep = config.num_recent_events
                copied.events = copied.events[-keep:] if keep else []
        return copied

    async def list_sessions(
        self, *, app_name: str, user_id: str | None = None
    ) -> ListSessionsResponse:
        validate_id("app_name", app_name)
        if user_id is not None:
            validate_id("user_id", user_id)
        found = [
            self._merged(s).model_copy(update={"events": []})
            for (app, user, _), s in sorted(self.sessions.items())
            if app == app_name and (user_id is None or user == user_id)
        ]
        return ListSessionsResponse(sessions=found)

    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        for kind, value in (
            ("app_name", app_name),
            ("user_id", user_id),
            ("session_id", session_id),
        ):
            validate_id(kind, value)
        self.sessions.pop((app_name, user_id, session_id), None)

    async def append_event(self, session: Session, event: Event) -> Event:
        stored = self.sessions.get((session.app_name, session.user_id, session.id))
        if stored is None:
            raise SessionNotFoundError(session.app_name, session.user_id, session.id)
        if any(e.id == event.id for e in stored.events):
            return event  # a retried append
        # ADK's base class updates the caller's session (and trims temp: keys).
        event = await super().append_event(session=session, event=event)
        if event.partial:
            return event
        own = self._store_scoped(session.app_name, session.user_id, event.actions.state_delta)
        stored.state.update(own)
        stored.events.append(copy.deepcopy(event))
        stored.last_update_time = event.timestamp
        return event

    def _store_scoped(self, app_name: str, user_id: str, delta: dict[str, Any]) -> dict[str, Any]:
        own: dict[str, Any] = {}
        for key, value in delta.items():
            if key.startswith("app:"):
                self.app_state.setdefault(app_name, {})[key[4:]] = value
            elif key.startswith("user:"):
                self.user_state.setdefault((app_name, user_id), {})[key[5:]] = value
            elif not key.startswith("temp:"):
                own[key] = value
        return own

    def _merged(self, session: Session) -> Session:
        copied = copy.deepcopy(session)
        for key, value in self.app_state.get(session.app_name, {}).items():
            copied.state["app:" + key] = value
        for key, value in self.user_state.get((session.app_name, session.user_id), {}).items():
            copied.state["user:" + key] = value
        return copied


class ListMemoryService(BaseMemoryService):
    """Remembers event text per app and user; matches any shared lower-cased word."""

    def __init__(self) -> None:
        self.memories: dict[tuple[str, str], dict[str, MemoryEntry]] = {}

    async def add_session_to_memory(self, session: Session) -> None:
        for kind, value in (
            ("app_name", session.app_name),
            ("user_id", session.user_id),
            ("session_id", session.id),
        ):
            validate_id(kind, value)
        bucket = self.memories.setdefault((session.app_name, session.user_id), {})
        for event in session.events:
            if event.content is None or not event.content.text.strip() or event.partial:
                continue
            when = datetime.fromtimestamp(event.timestamp, UTC).isoformat()
            bucket.setdefault(
                event.id,
                MemoryEntry(
                    content=event.content, id=event.id, author=event.author, timestamp=when
                ),
            )

    async def search_memory(
        self, *, app_name: str, user_id: str, query: str
    ) -> SearchMemoryResponse:
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        words = set(query.lower().split())
        scored = []
        for entry in self.memories.get((app_name, user_id), {}).values():
            hits = len(words & set(entry.content.text.lower().split()))
            if hits:
                scored.append((-hits, len(scored), entry))
        return SearchMemoryResponse(memories=[entry for *_, entry in sorted(scored)])


class DictArtifactService(BaseArtifactService):
    """Versioned artifacts in a dict keyed by app, user, scope and name."""

    def __init__(self) -> None:
        self.blobs: dict[tuple[str, str, str | None, str], list[Part]] = {}
        self.metadata: dict[tuple[str, str, str | None, str, int], dict[str, Any]] = {}

    def _key(
        self, app_name: str, user_id: str, filename: str, session_id: str | None
    ) -> tuple[str, str, str | None, str]:
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        validate_artifact_name(filename)
        if filename.startswith("user:") or session_id is None:
            return (app_name, user_id, None, filename)
        return (app_name, user_id, validate_id("session_id", session_id), filename)

    async def save_artifact(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        artifact: Part,
        session_id: str | None = None,
        custom_metadata: dict[str, Any] | None = None,
    ) -> int:
        key = self._key(app_name, user_id, filename, session_id)
        if artifact.inline_data is None and artifact.text is None and artifact.file_data is None:
            raise ValidationError("an artifact needs inline_data, text or file_data")
        versions = self.blobs.setdefault(key, [])
        versions.append(artifact.model_copy(deep=True))
        self.metadata[(*key, len(versions) - 1)] = dict(custom_metadata or {})
        return len(versions) - 1

    async def load_artifact(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        session_id: str | None = None,
        version: int | None = None,
    ) -> Part | None:
        versions = self.blobs.get(self._key(app_name, user_id, filename, session_id), [])
        if not versions:
            return None
        if version is None:
            return versions[-1]
        if not isinstance(version, int) or version < 0:
            raise ValidationError(f"artifact version must be an integer >= 0, got {version!r}")
        return versions[version] if version < len(versions) else None

    async def list_artifact_keys(
        self, *, app_name: str, user_id: str, session_id: str | None = None
    ) -> list[str]:
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        if session_id is not None:
            validate_id("session_id", session_id)
        return sorted(
            name
            for (app, user, scope, name) in self.blobs
            if app == app_name and user == user_id and scope in (None, session_id)
        )

    async def delete_artifact(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> None:
        self.blobs.pop(self._key(app_name, user_id, filename, session_id), None)

    async def list_versions(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> list[int]:
        key = self._key(app_name, user_id, filename, session_id)
        return list(range(len(self.blobs.get(key, []))))

    async def list_artifact_versions(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> list[ArtifactVersion]:
        key = self._key(app_name, user_id, filename, session_id)
        return [
            ArtifactVersion(
                version=number,
                canonical_uri=f"dict://{'/'.join(str(k) for k in key)}/{number}",
                custom_metadata=self.metadata[(*key, number)],
                mime_type=part.inline_data.mime_type if part.inline_data else "text/plain",
            )
            for number, part in enumerate(self.blobs.get(key, []))
        ]

    async def get_artifact_version(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        session_id: str | None = None,
        version: int | None = None,
    ) -> ArtifactVersion | None:
        versions = await self.list_artifact_versions(
            app_name=app_name, user_id=user_id, filename=filename, session_id=session_id
        )
        if not versions:
            return None
        if version is None:
            return versions[-1]
        return versions[version] if 0 <= version < len(versions) else None
