"""Listing an app's memories across users (capability ``"retention"``), for retention and
export: every record once, in (timestamp, user, id) order, paged, optionally only older
than a cut-off; other apps never appear."""

from __future__ import annotations

import pytest

from runners_core.capabilities import Capability
from runners_core.errors import ValidationError
from runners_core.memory.base import BaseMemoryService
from runners_core.paging import encode_page_token
from runners_core.testing.builders import unique
from runners_core.testing.memory.suite import MemorySuite

CAPABILITY = Capability.RETENTION


class Retention(MemorySuite):
    async def _fill(self, service: BaseMemoryService, app: str) -> None:
        for user in ("bob", "alice"):
            session = self.session_with("one", "two", "three", app_name=app, user_id=user)
            await service.add_session_to_memory(session)
        await service.add_session_to_memory(self.session_with("elsewhere"))

    async def test_list_memories_pages_through_every_user(self, service: BaseMemoryService) -> None:
        app = unique("app")
        await self._fill(service, app)
        seen, token, pages = [], None, 0
        while True:
            page, token = await service.list_memories(app_name=app, page_size=4, page_token=token)
            pages += 1
            assert len(page) <= 4, f"list_memories: a page held {len(page)} records, asked 4"
            seen.extend((record.timestamp, user, record.text) for user, record in page)
            if token is None:
                break
            assert pages < 10, "list_memories: paging does not end"
        assert seen == sorted(seen), f"list_memories: not in (timestamp, user, id) order: {seen}"
        assert sorted(t for _, _, t in seen) == sorted(["one", "two", "three"] * 2), (
            f"list_memories: expected each user's three memories once, got {seen}"
        )
        assert {user for _, user, _ in seen} == {"alice", "bob"}, (
            "list_memories: every record must carry its user id"
        )

    async def test_older_than_cuts_by_timestamp(self, service: BaseMemoryService) -> None:
        app = unique("app")
        await self._fill(service, app)
        # session_with stamps its events 1_700_000_000 + i.
        page, token = await service.list_memories(app_name=app, older_than=1_700_000_001.0)
        assert token is None, "list_memories: two records fit one page; no next token expected"
        assert sorted((user, r.text) for user, r in page) == [("alice", "one"), ("bob", "one")], (
            "list_memories(older_than=...): must return only records stored before the cut-off"
        )

    async def test_import_memories_round_trips_records(self, service: BaseMemoryService) -> None:
        app = unique("app")
        await self._fill(service, app)
        exported, _ = await service.list_memories(app_name=app)
        copy = unique("copy")
        for user, record in exported:
            await service.import_memories(app_name=copy, user_id=user, records=[record])
            await service.import_memories(app_name=copy, user_id=user, records=[record])
        imported, _ = await service.list_memories(app_name=copy)
        assert imported == exported, (
            "import_memories: records listed from the copy must equal the originals, once each"
        )

    async def test_forged_page_tokens_raise_validation_error_naming_the_token(
        self, service: BaseMemoryService
    ) -> None:
        app = unique("app")
        await self._fill(service, app)
        forged = (
            encode_page_token("1", "bob", "x"),  # a string where the timestamp is a number
            encode_page_token(1.0, 2, "x"),  # a number where the user id is a string
            encode_page_token(10**400, "bob", "x"),  # too large for a float
            encode_page_token(1.0, "bob"),
            "!!!",
            42,
        )
        for token in forged:
            with pytest.raises(ValidationError, match="page_token"):
                await service.list_memories(app_name=app, page_token=token)  # type: ignore[arg-type]
