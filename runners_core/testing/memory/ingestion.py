"""Adding sessions, events and explicit entries; re-adding is idempotent."""

from __future__ import annotations

from runners_core.content import Content
from runners_core.events import Event
from runners_core.memory.base import BaseMemoryService, MemoryEntry
from runners_core.testing.builders import unique, user_event
from runners_core.testing.memory.suite import MemorySuite, texts

CAPABILITY = None


class Ingestion(MemorySuite):
    async def test_added_session_is_searchable(self, service: BaseMemoryService) -> None:
        session = self.session_with("The lighthouse keeper feeds the gulls", "Noted.")
        await service.add_session_to_memory(session)
        found = await service.search_memory(
            app_name=session.app_name, user_id=session.user_id, query="lighthouse"
        )
        assert texts(found) == ["The lighthouse keeper feeds the gulls"], (
            f"add_session_to_memory: a remembered event was not found by its word: {texts(found)}"
        )
        entry = found.memories[0]
        assert entry.id == session.events[0].id and entry.author == "user", (
            "memory entry: id must be the event id and author the event author"
        )
        assert entry.timestamp is not None, "memory entry: timestamp must be set"

    async def test_adding_a_session_twice_remembers_each_event_once(
        self, service: BaseMemoryService
    ) -> None:
        session = self.session_with("walrus one", "walrus two")
        await service.add_session_to_memory(session)
        await service.add_session_to_memory(session)
        session.events.append(user_event("walrus three"))
        await service.add_session_to_memory(session)
        found = await service.search_memory(
            app_name=session.app_name, user_id=session.user_id, query="walrus"
        )
        got = sorted(texts(found))
        assert got == ["walrus one", "walrus three", "walrus two"], (
            "idempotent add_session_to_memory: adding a session again must add only its new "
            f"events; search found {got}"
        )

    async def test_partial_and_textless_events_are_skipped(
        self, service: BaseMemoryService
    ) -> None:
        session = self.session_with("kestrel sighting")
        session.events.append(
            Event(
                author="agent",
                invocation_id="i",
                partial=True,
                content=Content.from_text("kestrel chunk"),
            )
        )
        session.events.append(Event(author="agent", invocation_id="i"))
        await service.add_session_to_memory(session)
        found = await service.search_memory(
            app_name=session.app_name, user_id=session.user_id, query="kestrel"
        )
        assert texts(found) == ["kestrel sighting"], (
            f"memory ingestion: partial events must not be remembered; found {texts(found)}"
        )

    async def test_add_events_to_memory_adds_a_delta(self, service: BaseMemoryService) -> None:
        app, user = unique("app"), unique("user")
        first, second = user_event("heron at dawn"), user_event("heron at dusk")
        await service.add_events_to_memory(
            app_name=app, user_id=user, events=[first], session_id="s1"
        )
        await service.add_events_to_memory(
            app_name=app,
            user_id=user,
            events=[first, second],
            session_id="s1",
            custom_metadata={"source": "delta"},
        )
        found = await service.search_memory(app_name=app, user_id=user, query="heron")
        assert sorted(texts(found)) == ["heron at dawn", "heron at dusk"], (
            f"add_events_to_memory: re-added events must not duplicate; found {texts(found)}"
        )
        meta = {m.content.text: m.custom_metadata for m in found.memories}
        assert meta["heron at dusk"] == {"source": "delta"}, (
            "add_events_to_memory: custom_metadata must be stored with the new events"
        )

    async def test_explicit_entries_are_searchable(self, service: BaseMemoryService) -> None:
        app, user = unique("app"), unique("user")
        entry = MemoryEntry(
            content=Content.from_text("Allergic to peanuts"),
            custom_metadata={"kind": "fact"},
            author="user",
            timestamp="2026-01-31T12:00:00+00:00",
            id="fact-1",
        )
        await service.add_memory(app_name=app, user_id=user, memories=[entry])
        await service.add_memory(app_name=app, user_id=user, memories=[entry])
        found = await service.search_memory(app_name=app, user_id=user, query="peanuts")
        assert len(found.memories) == 1, (
            f"add_memory: an entry with an id added twice must be stored once, found "
            f"{len(found.memories)}"
        )
        got = found.memories[0]
        assert (got.id, got.custom_metadata, got.author) == ("fact-1", {"kind": "fact"}, "user"), (
            f"add_memory: id, custom_metadata and author must round-trip, got {got}"
        )
        assert got.content == entry.content, "add_memory: content came back changed"
