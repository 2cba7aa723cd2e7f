"""The memory service contract, with shared logic in the base class.

Backends store and search :class:`MemoryRecord` rows; turning sessions and
events into records, skipping what has nothing to remember, validation and
per-event idempotency keys live here.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from abc import ABC
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from runners_core.content import Content
from runners_core.errors import ValidationError
from runners_core.events import Event
from runners_core.identifiers import validate_id
from runners_core.paging import MEMORY_CURSOR, next_page, read_page_token
from runners_core.service_routes import Route, service_route
from runners_core.sessions.session import Session
from runners_core.sessions.storable import check_storable, check_value

DEFAULT_SEARCH_LIMIT = 10  # ADK's in-memory service returns at most 10 memories too
MAX_SEARCH_LIMIT = 1000  # a larger limit is taken as this one
MemoryCursor = tuple[float, str, str]
"""Where a page of ``list_memories`` resumes: the last record's (timestamp, user_id, id)."""
# Scripts written without spaces between words: Thai, Japanese kana, CJK ideographs.
_NO_SPACE = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NO_SPACE_CHAR = re.compile(f"[{_NO_SPACE}]")
_TOKEN = re.compile(rf"[{_NO_SPACE}]+|(?:(?![{_NO_SPACE}])\w)+")


class MemoryEntry(BaseModel):
    """One remembered piece of content, as search returns it."""

    model_config = ConfigDict(defer_build=True)

    content: Content
    custom_metadata: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None
    author: str | None = None
    timestamp: str | None = None  # ISO 8601, as ADK hands it to models


class SearchMemoryResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    memories: list[MemoryEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class MemoryRecord:
    """A row a backend stores: ``id`` is the event id, so re-adding changes nothing."""

    id: str
    session_id: str | None
    author: str | None
    timestamp: float
    text: str
    content_json: str
    custom_metadata: Mapping[str, Any]

    def to_entry(self) -> MemoryEntry:
        return MemoryEntry(
            content=Content.model_validate_json(self.content_json),
            custom_metadata=dict(self.custom_metadata),
            id=self.id,
            author=self.author,
            timestamp=datetime.fromtimestamp(self.timestamp, UTC).isoformat(),
        )


def tokenize(text: str) -> list[str]:
    """Search terms of *text*: NFC-normalised, lower-cased words.

    A run of a script written without spaces (Japanese, Chinese, Thai) becomes
    its overlapping two-character pieces ("太郎です" -> 太郎, 郎で, です), so a word
    inside it is found without a dictionary; Latin words inside such text stay
    words. A one-character run is its own term.
    """
    terms: list[str] = []
    for token in _TOKEN.findall(unicodedata.normalize("NFC", text).lower()):
        if len(token) > 1 and _is_no_space(token[0]):
            terms.extend(token[i : i + 2] for i in range(len(token) - 1))
        else:
            terms.append(token)
    return terms


def index_terms(text: str) -> list[str]:
    """What to index for *text*: :func:`tokenize`'s terms plus single characters of
    no-space scripts, so one-character queries ("猫") find longer text too."""
    terms = tokenize(text)
    terms.extend(ch for ch in unicodedata.normalize("NFC", text).lower() if _is_no_space(ch))
    return terms


def has_no_space_script(text: str) -> bool:
    """Whether *text* has Japanese, Chinese or Thai, which full-text parsers do not segment."""
    return bool(_NO_SPACE_CHAR.search(text))


def _is_no_space(ch: str) -> bool:
    return bool(re.match(f"[{_NO_SPACE}]", ch))


class BaseMemoryService(ABC):
    """Ingests sessions or events and searches them, scoped per app and user.

    Optional capabilities: ``"delete"`` (``delete_memory`` works).
    """

    capabilities: ClassVar[frozenset[str]] = frozenset({"delete"})
    _route: Route

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        route = service_route(
            cls,
            BaseMemoryService,
            kind="memory",
            public=("add_session_to_memory", "search_memory"),
            primitives=("_add", "_search", "_delete"),
        )
        self = super().__new__(cls)
        self._route = route
        return self

    async def add_session_to_memory(self, session: Session) -> None:
        """Remember a session's events; adding a session again adds only new events."""
        await self.add_events_to_memory(
            app_name=session.app_name,
            user_id=session.user_id,
            events=session.events,
            session_id=session.id,
        )

    async def add_events_to_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        events: Sequence[Event],
        session_id: str | None = None,
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        """Remember *events* (a delta, not necessarily a whole session)."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        if session_id is not None:
            validate_id("session_id", session_id)
        records = [
            record
            for event in events
            if (record := _record_for(event, session_id, custom_metadata or {})) is not None
        ]
        if records:
            await self._add(app_name=app_name, user_id=user_id, records=records)

    async def add_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: Sequence[MemoryEntry],
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        """Remember explicit entries (ids are generated for entries without one)."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        records = []
        for entry in memories:
            text = entry.content.text
            if not text.strip():
                raise ValidationError("a memory entry needs text content to be searchable")
            where = f"memory entry {entry.id or text[:20]!r}"
            check_storable(entry.content, f"{where} content")
            check_value(dict(entry.custom_metadata), f"{where} custom_metadata")
            check_value(dict(custom_metadata or {}), "custom_metadata")
            records.append(
                MemoryRecord(
                    id=entry.id or secrets.token_hex(8),
                    session_id=None,
                    author=entry.author,
                    timestamp=_parse_time(entry.timestamp),
                    text=unicodedata.normalize("NFC", text),
                    content_json=entry.content.model_dump_json(exclude_none=True),
                    custom_metadata={**(custom_metadata or {}), **entry.custom_metadata},
                )
            )
        await self._add(app_name=app_name, user_id=user_id, records=records)

    async def search_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        query: str,
        limit: int | None = DEFAULT_SEARCH_LIMIT,
    ) -> SearchMemoryResponse:
        """Memories of this app and user that match *query*, best first.

        At most *limit* of them: None means the default (10); a limit above 1000 is
        taken as 1000; anything but a positive integer is a ValidationError.
        """
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        limit = search_limit(limit)
        if not isinstance(query, str):
            raise ValidationError(f"query must be a string, got {type(query).__name__}")
        if not tokenize(query):
            return SearchMemoryResponse()
        records = await self._search(app_name=app_name, user_id=user_id, query=query, limit=limit)
        return SearchMemoryResponse(memories=[r.to_entry() for r in records])

    async def delete_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        memory_id: str | None = None,
        session_id: str | None = None,
    ) -> None:
        """Forget one memory (*memory_id*), one session's memories, or all of the user's."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        if session_id is not None:
            validate_id("session_id", session_id)
        await self._delete(
            app_name=app_name, user_id=user_id, memory_id=memory_id, session_id=session_id
        )

    async def import_memories(
        self, *, app_name: str, user_id: str, records: Sequence[MemoryRecord]
    ) -> None:
        """Store exported records as they are (import, migrate); ids already stored are
        skipped, so importing twice changes nothing."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        if records:
            await self._add(app_name=app_name, user_id=user_id, records=list(records))

    async def list_memories(
        self,
        *,
        app_name: str,
        older_than: float | None = None,
        page_size: int = 500,
        page_token: str | None = None,
    ) -> tuple[list[tuple[str, MemoryRecord]], str | None]:
        """A page of an app's stored memories of every user, as ``(user_id, record)``, in
        (timestamp, user, id) order; only those stored before *older_than* (epoch seconds)
        if given. For retention and export; the next page's token, or None."""
        validate_id("app_name", app_name)
        if type(page_size) is not int or not 1 <= page_size <= 10_000:
            raise ValidationError("page_size must be an integer from 1 to 10000")
        cursor = read_page_token(page_token, MEMORY_CURSOR)
        rows = await self._list_records(
            app_name=app_name,
            before=older_than,
            limit=page_size + 1,
            after=None if cursor is None else (cursor[0], cursor[1], cursor[2]),
        )
        return next_page(rows, page_size, lambda row: (row[1].timestamp, row[0], row[1].id))

    async def close(self) -> None:
        """Release connections and files."""

    # ------------------------------------------------------------------ storage primitives

    async def _add(self, *, app_name: str, user_id: str, records: Sequence[MemoryRecord]) -> None:
        """Store *records*, ignoring any whose id is already stored for this app and user."""
        raise _not_implemented(self, "_add")

    async def _search(
        self, *, app_name: str, user_id: str, query: str, limit: int
    ) -> list[MemoryRecord]:
        """Records of this app and user matching any word of *query*, best first."""
        raise _not_implemented(self, "_search")

    async def _delete(
        self, *, app_name: str, user_id: str, memory_id: str | None, session_id: str | None
    ) -> None:
        """Remove the matching records of this app and user."""
        raise _not_implemented(self, "_delete")

    async def _list_records(
        self, *, app_name: str, before: float | None, limit: int, after: MemoryCursor | None
    ) -> list[tuple[str, MemoryRecord]]:
        """Up to *limit* ``(user_id, record)`` of the app (all users) ordered by
        (timestamp, user_id, id), after the cursor *after* (None for the first page),
        with timestamp < *before* if given. Optional. The base class asks for one more
        than a page and makes the page tokens."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot list its memories (it does not implement "
            "_list_records), so retention and export cannot reach them"
        )


def search_limit(limit: object) -> int:
    """*limit* of ``search_memory`` as every backend applies it (see its docstring)."""
    if limit is None:
        return DEFAULT_SEARCH_LIMIT
    if type(limit) is not int or limit < 1:
        raise ValidationError(
            f"search_memory limit must be a positive integer (or None for the default "
            f"{DEFAULT_SEARCH_LIMIT}), got {repr(limit)[:60]}"
        )
    return min(limit, MAX_SEARCH_LIMIT)


def _not_implemented(service: object, method: str) -> NotImplementedError:
    return NotImplementedError(
        f"{type(service).__name__} does not implement {method}, so this memory operation is "
        "not supported; it overrides ADK's public methods (add_session_to_memory, "
        "search_memory). Implement the storage primitives too for the rest (docs/plugins.md)"
    )


def _record_for(
    event: Event, session_id: str | None, metadata: Mapping[str, object]
) -> MemoryRecord | None:
    if event.partial or event.content is None:
        return None
    text = event.content.text
    if not text.strip():
        return None
    # Refused here, naming the event, rather than failing in a backend's encoder.
    check_storable(event.content, f"event {event.id} content")
    check_value(event.timestamp, f"event {event.id} timestamp")
    check_value(dict(metadata), "custom_metadata")
    return MemoryRecord(
        id=event.id,
        session_id=session_id,
        author=event.author,
        timestamp=event.timestamp,
        text=unicodedata.normalize("NFC", text),
        content_json=event.content.model_dump_json(exclude_none=True),
        custom_metadata=dict(metadata),
    )


def _parse_time(value: str | None) -> float:
    if value is None:
        return datetime.now(UTC).timestamp()
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise ValidationError(
            f"memory timestamp {value!r} is not ISO 8601 (e.g. 2026-01-31T12:00:00+00:00)"
        ) from None
