"""SQLite memory beyond the kit: hostile queries, FTS5 matching, persistence, ranking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from runners_sqlite import SqliteMemoryService
from runners_sqlite.fts import MAX_WORDS, any_of, quoted_words

from runners_core import Content, Event

APP, USER = "app", "u"


@pytest.fixture
def memory_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/memory.db"


@pytest.fixture
async def memory(memory_url: str) -> AsyncIterator[SqliteMemoryService]:
    service = SqliteMemoryService(memory_url)
    yield service
    await service.close()


async def remember(service: SqliteMemoryService, *texts: str) -> list[str]:
    events = [Event(author="user", content=Content.from_text(t)) for t in texts]
    await service.add_events_to_memory(app_name=APP, user_id=USER, events=events, session_id="s")
    return [e.id for e in events]


async def search(service: SqliteMemoryService, query: str) -> list[str]:
    found = await service.search_memory(app_name=APP, user_id=USER, query=query)
    return [m.content.text for m in found.memories]


@pytest.mark.parametrize(
    "query",
    [
        'he said "refund" AND (NOT later)',
        "refund*",
        "^refund",
        "text: refund",
        "NEAR(refund order, 3)",
        'refund" OR "x',
        "refund -order +now",
        "'refund'",
        "{refund}",
        "refund\x00",
    ],
)
async def test_queries_with_fts5_syntax_never_raise(
    memory: SqliteMemoryService, query: str
) -> None:
    await remember(memory, "Please refund my order", "Weather is nice")
    assert await search(memory, query) == ["Please refund my order"]


async def test_operator_words_are_plain_words(memory: SqliteMemoryService) -> None:
    await remember(memory, "I can NOT come, OR maybe AND then", "unrelated")
    assert await search(memory, "not") == ["I can NOT come, OR maybe AND then"]
    assert await search(memory, "OR") == ["I can NOT come, OR maybe AND then"]


async def test_accents_do_not_matter(memory: SqliteMemoryService) -> None:
    await remember(memory, "Rendez-vous au café à Zürich")
    assert await search(memory, "cafe zurich") == ["Rendez-vous au café à Zürich"]
    assert await search(memory, "CAFÉ") == ["Rendez-vous au café à Zürich"]


async def test_more_query_words_rank_higher(memory: SqliteMemoryService) -> None:
    await remember(
        memory,
        "tea",
        "tea time",
        "green tea time in the garden with friends and a long story",
        "garden",
    )
    got = await search(memory, "green tea garden")
    assert got[0] == "green tea time in the garden with friends and a long story"
    assert set(got) == {
        "tea",
        "tea time",
        "green tea time in the garden with friends and a long story",
        "garden",
    }


async def test_memories_survive_reopening_and_re_adding(memory_url: str) -> None:
    first = SqliteMemoryService(memory_url)
    await remember(first, "the cellar key is under the mat")
    await first.close()
    second = SqliteMemoryService(memory_url)
    try:
        assert await search(second, "cellar") == ["the cellar key is under the mat"]
        found = await second.search_memory(app_name=APP, user_id=USER, query="cellar")
        # Re-adding the same event id (e.g. a session added again) changes nothing.
        event = Event(
            id=found.memories[0].id, author="user", content=Content.from_text("cellar again")
        )
        await second.add_events_to_memory(app_name=APP, user_id=USER, events=[event])
        assert await search(second, "cellar") == ["the cellar key is under the mat"]
    finally:
        await second.close()


async def test_deleted_memories_leave_the_index(memory: SqliteMemoryService) -> None:
    _, drop = await remember(memory, "otter one", "otter two")
    await memory.delete_memory(app_name=APP, user_id=USER, memory_id=drop)
    assert await search(memory, "otter") == ["otter one"]

    def index_rows(conn: object) -> int:
        return conn.execute(  # type: ignore[attr-defined]
            "SELECT count(*) FROM memories_fts WHERE memories_fts MATCH 'otter'"
        ).fetchone()[0]

    assert await memory.database.read("counting", index_rows) == 1


def test_query_terms_are_quoted_and_capped() -> None:
    assert quoted_words('say "hi" (now)') == ['"say"', '"hi"', '"now"']
    assert quoted_words("a a A") == ['"a"']
    assert quoted_words("?!  ") == []
    assert len(quoted_words(" ".join(f"w{i}" for i in range(40)))) == MAX_WORDS
    assert any_of(['"a"', '"b"']) == '"a" OR "b"'
