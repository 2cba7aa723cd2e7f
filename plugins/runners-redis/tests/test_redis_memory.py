"""RedisMemoryService: the keyword index, ranked and scoped like the in-memory service."""

from __future__ import annotations

import redis
from runners_redis.keys import KeySpace
from runners_redis.memory import RedisMemoryService

from runners_core import Content, Event, InMemoryMemoryService, MemoryEntry
from runners_core.memory.base import BaseMemoryService

TEXTS = [
    "The cat sat on the mat",
    "A dog chased the cat around the garden",
    "Dogs and cats: a comparison of pets",
    "Garden party on Saturday with the dog",
    "Quantum chromodynamics lecture notes",
    "cat cat cat, repeated words count once",
    "Grüße aus Zürich, schöne Grüße",
]


def _events(texts: list[str]) -> list[Event]:
    return [
        Event(id=f"m{i}", author="user", content=Content.from_text(t), timestamp=1000.0 + i)
        for i, t in enumerate(texts)
    ]


async def _ids(service: BaseMemoryService, query: str, user: str = "u", limit: int = 20) -> list:
    found = await service.search_memory(app_name="a", user_id=user, query=query, limit=limit)
    return [m.id for m in found.memories]


QUERIES = ["cat", "the dog garden", "CAT dog", "grüße", "nothing matches", "", "!!!", "cats"]


async def test_ranking_matches_in_memory(memory: RedisMemoryService) -> None:
    oracle = InMemoryMemoryService()
    for service in (oracle, memory):
        await service.add_events_to_memory(
            app_name="a", user_id="u", events=_events(TEXTS), session_id="s1"
        )
    for query in QUERIES:
        assert await _ids(memory, query) == await _ids(oracle, query), query
    assert await _ids(memory, "the dog garden", limit=2) == await _ids(
        oracle, "the dog garden", limit=2
    )
    # Three words each: in the order they were added (as ADK); then the one with two.
    assert await _ids(memory, "the dog garden") == ["m1", "m3", "m0"]


async def test_entries_round_trip(memory: RedisMemoryService) -> None:
    await memory.add_memory(
        app_name="a",
        user_id="u",
        memories=[
            MemoryEntry(
                id="note-1",
                content=Content.from_text("Remember the blue umbrella"),
                author="ann",
                timestamp="2026-01-31T12:00:00+00:00",
                custom_metadata={"tags": ["x"], "n": 1},
            )
        ],
        custom_metadata={"source": "manual"},
    )
    found = await memory.search_memory(app_name="a", user_id="u", query="umbrella")
    assert len(found.memories) == 1
    entry = found.memories[0]
    assert entry.id == "note-1"
    assert entry.author == "ann"
    assert entry.content.text == "Remember the blue umbrella"
    assert entry.custom_metadata == {"source": "manual", "tags": ["x"], "n": 1}
    assert entry.timestamp == "2026-01-31T12:00:00+00:00"


async def test_adding_again_adds_only_new_events(memory: RedisMemoryService) -> None:
    events = _events(TEXTS[:3])
    await memory.add_events_to_memory(app_name="a", user_id="u", events=events)
    changed = Event(id="m0", author="user", content=Content.from_text("entirely different"))
    await memory.add_events_to_memory(
        app_name="a", user_id="u", events=[changed, *_events(TEXTS[:4])]
    )
    assert await _ids(memory, "cat") == ["m0", "m1"]
    assert await _ids(memory, "different") == []
    assert await _ids(memory, "saturday") == ["m3"]


async def test_users_and_apps_are_isolated(memory: RedisMemoryService) -> None:
    await memory.add_events_to_memory(app_name="a", user_id="u", events=_events(["secret cat"]))
    assert await _ids(memory, "cat", user="v") == []
    other_app = await memory.search_memory(app_name="b", user_id="u", query="cat")
    assert other_app.memories == []


async def test_delete_by_id_session_and_user(
    memory: RedisMemoryService, raw_redis: redis.Redis, prefix: str
) -> None:
    await memory.add_events_to_memory(
        app_name="a", user_id="u", events=_events(TEXTS[:3]), session_id="s1"
    )
    extra = [
        Event(id="x1", author="user", content=Content.from_text("cat in session two")),
        Event(id="x2", author="user", content=Content.from_text("loose cat")),
    ]
    await memory.add_events_to_memory(app_name="a", user_id="u", events=extra[:1], session_id="s2")
    await memory.add_events_to_memory(app_name="a", user_id="u", events=extra[1:])
    await memory.add_events_to_memory(app_name="a", user_id="v", events=_events(["cat of v"]))

    await memory.delete_memory(app_name="a", user_id="u", memory_id="m1")
    assert set(await _ids(memory, "cat")) == {"x1", "x2", "m0"}
    # A memory id with a session that does not match is left alone.
    await memory.delete_memory(app_name="a", user_id="u", memory_id="x1", session_id="s1")
    assert "x1" in await _ids(memory, "cat")

    await memory.delete_memory(app_name="a", user_id="u", session_id="s1")
    assert set(await _ids(memory, "cat")) == {"x1", "x2"}
    assert await _ids(memory, "dogs") == []

    await memory.delete_memory(app_name="a", user_id="u")
    assert await _ids(memory, "cat") == []
    # Nothing of user u is left in Redis; user v is untouched.
    base = KeySpace(prefix).memory_base("a", "u")
    assert list(raw_redis.scan_iter(match=base.replace("*", "\\*") + "*")) == []
    assert await _ids(memory, "cat", user="v") == ["m0"]
