"""Search: word matching, ranking, limits and round-tripping of what is returned."""

from __future__ import annotations

import pytest

from runners_core.content import Content, Part
from runners_core.errors import ValidationError
from runners_core.events import Event
from runners_core.memory.base import DEFAULT_SEARCH_LIMIT, BaseMemoryService
from runners_core.testing.builders import NON_ASCII, unique
from runners_core.testing.memory.suite import MemorySuite, texts

CAPABILITY = None


class Search(MemorySuite):
    async def test_matching_ignores_case(self, service: BaseMemoryService) -> None:
        session = self.session_with("Meeting in PARIS next week")
        await service.add_session_to_memory(session)
        found = await service.search_memory(
            app_name=session.app_name, user_id=session.user_id, query="paris"
        )
        assert texts(found) == ["Meeting in PARIS next week"], (
            "memory search: matching must ignore case"
        )

    async def test_unrelated_query_finds_nothing(self, service: BaseMemoryService) -> None:
        session = self.session_with("the otter holds hands while sleeping")
        await service.add_session_to_memory(session)
        found = await service.search_memory(
            app_name=session.app_name, user_id=session.user_id, query="volcano"
        )
        assert found.memories == [], f"memory search: 'volcano' matched {texts(found)}"

    async def test_blank_query_finds_nothing(self, service: BaseMemoryService) -> None:
        session = self.session_with("anything at all")
        await service.add_session_to_memory(session)
        for query in ("", "   ", "?!"):
            found = await service.search_memory(
                app_name=session.app_name, user_id=session.user_id, query=query
            )
            assert found.memories == [], f"memory search: blank query {query!r} matched"

    async def test_better_matches_rank_first(self, service: BaseMemoryService) -> None:
        session = self.session_with(
            "blue whale", "blue whale song recorded near the reef", "a reef", "whale song"
        )
        await service.add_session_to_memory(session)
        found = await service.search_memory(
            app_name=session.app_name, user_id=session.user_id, query="whale song reef"
        )
        got = texts(found)
        assert got and got[0] == "blue whale song recorded near the reef", (
            f"memory ranking: the entry matching every query word must rank first, got {got}"
        )

    async def test_limit_caps_results(self, service: BaseMemoryService) -> None:
        session = self.session_with(*(f"penguin note {i}" for i in range(12)))
        await service.add_session_to_memory(session)
        found = await service.search_memory(
            app_name=session.app_name, user_id=session.user_id, query="penguin", limit=5
        )
        assert len(found.memories) == 5, (
            f"memory search: limit=5 returned {len(found.memories)} memories"
        )

    async def test_limit_is_normalised_alike_everywhere(self, service: BaseMemoryService) -> None:
        session = self.session_with(*(f"walrus note {i}" for i in range(12)))
        await service.add_session_to_memory(session)
        key = {"app_name": session.app_name, "user_id": session.user_id, "query": "walrus"}
        found = await service.search_memory(**key, limit=None)  # type: ignore[arg-type]
        assert len(found.memories) == DEFAULT_SEARCH_LIMIT, (
            f"memory search: limit=None must mean the default {DEFAULT_SEARCH_LIMIT}, "
            f"got {len(found.memories)} memories"
        )
        found = await service.search_memory(**key, limit=10**30)
        assert len(found.memories) == 12, (
            f"memory search: a huge limit must return every match, got {len(found.memories)}"
        )
        for bad in (0, -1, -(10**30), "5", 2.5, True, False, [3]):
            with pytest.raises(ValidationError, match="limit"):
                await service.search_memory(**key, limit=bad)  # type: ignore[arg-type]

    async def test_content_round_trips(self, service: BaseMemoryService) -> None:
        app, user = unique("app"), unique("user")
        content = Content(
            role="model",
            parts=[Part(text=f"Ünïcödé {NON_ASCII} marmot"), Part.from_uri("gs://b/o", "a/b")],
        )
        event = Event(author="agent", invocation_id="i", content=content)
        await service.add_events_to_memory(app_name=app, user_id=user, events=[event])
        found = await service.search_memory(app_name=app, user_id=user, query="marmot")
        assert [m.content for m in found.memories] == [content], (
            "memory round-trip: remembered content (non-ASCII text, all parts) came back changed"
        )
        found = await service.search_memory(app_name=app, user_id=user, query="ünïcödé")
        assert len(found.memories) == 1, "memory search: non-ASCII words must be searchable"
