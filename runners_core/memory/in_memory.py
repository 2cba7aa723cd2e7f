"""Memory kept in this process, searched by shared terms (as ADK's in-memory service)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from runners_core.memory.base import (
    BaseMemoryService,
    MemoryCursor,
    MemoryRecord,
    index_terms,
    tokenize,
)


class InMemoryMemoryService(BaseMemoryService):
    """Ranks by how many distinct query terms an entry contains, then insertion order (ADK)."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"delete", "retention"})

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], dict[str, tuple[MemoryRecord, frozenset[str]]]] = {}

    async def _add(self, *, app_name: str, user_id: str, records: Sequence[MemoryRecord]) -> None:
        bucket = self._records.setdefault((app_name, user_id), {})
        for record in records:
            if record.id not in bucket:
                bucket[record.id] = (record, frozenset(index_terms(record.text)))

    async def _search(
        self, *, app_name: str, user_id: str, query: str, limit: int
    ) -> list[MemoryRecord]:
        words = frozenset(tokenize(query))
        scored = []
        for order, (record, record_words) in enumerate(
            self._records.get((app_name, user_id), {}).values()
        ):
            hits = len(words & record_words)
            if hits:
                scored.append((-hits, order, record))
        scored.sort(key=lambda item: item[:2])
        return [item[2] for item in scored[:limit]]

    async def _delete(
        self, *, app_name: str, user_id: str, memory_id: str | None, session_id: str | None
    ) -> None:
        bucket = self._records.get((app_name, user_id), {})
        for key, (record, _) in list(bucket.items()):
            if (memory_id is None or key == memory_id) and (
                session_id is None or record.session_id == session_id
            ):
                del bucket[key]

    async def _list_records(
        self, *, app_name: str, before: float | None, limit: int, after: MemoryCursor | None
    ) -> list[tuple[str, MemoryRecord]]:
        rows = sorted(
            (record.timestamp, user_id, record.id, record)
            for (app, user_id), bucket in self._records.items()
            if app == app_name
            for record, _ in bucket.values()
            if before is None or record.timestamp < before
        )
        if after is not None:
            rows = [row for row in rows if row[:3] > after]
        return [(user_id, record) for _, user_id, _, record in rows[:limit]]
