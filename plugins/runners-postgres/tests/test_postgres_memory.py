"""PostgreSQL memory specifics: full-text matching, ranking, and hostile query text."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from runners_postgres import PostgresMemoryService

from runners_core import Content, MemoryEntry


@pytest.fixture
async def memory(pg_url: str) -> AsyncIterator[PostgresMemoryService]:
    service = PostgresMemoryService(pg_url)
    await service.add_memory(
        app_name="app",
        user_id="ada",
        memories=[
            MemoryEntry(id="walk", content=Content.from_text("The dog walked to the park")),
            MemoryEntry(id="dogs", content=Content.from_text("Two dogs and a cat in the park")),
            MemoryEntry(id="tax", content=Content.from_text("File the tax return by April")),
            MemoryEntry(id="sym", content=Content.from_text("Use a & b | !c in tsquery")),
        ],
    )
    yield service
    await service.close()


async def ids(service: PostgresMemoryService, query: str, user: str = "ada") -> list[str]:
    found = await service.search_memory(app_name="app", user_id=user, query=query)
    return [m.id or "" for m in found.memories]


async def test_word_forms_match_through_english_stems(memory: PostgresMemoryService) -> None:
    assert sorted(await ids(memory, "walking")) == ["walk"]
    assert sorted(await ids(memory, "dog")) == ["dogs", "walk"]
    assert await ids(memory, "filed returns") == ["tax"]


async def test_any_word_matches_and_more_matching_words_rank_first(
    memory: PostgresMemoryService,
) -> None:
    ranked = await ids(memory, "dogs cat park")
    assert ranked[0] == "dogs"  # dogs + cat + park beats dog + park
    assert set(ranked) == {"dogs", "walk"}


async def test_stop_words_still_match_as_exact_words(memory: PostgresMemoryService) -> None:
    assert await ids(memory, "by") == ["tax"]


@pytest.mark.parametrize(
    "query",
    [
        "a & b | !c",
        "park'); DROP TABLE memories; --",
        "park:* <-> (dog",
        "\\ ' \" ::tsquery",
        "tax\x00return",
    ],
)
async def test_query_syntax_in_user_text_is_just_text(
    memory: PostgresMemoryService, query: str
) -> None:
    found = await ids(memory, query)
    assert found  # it still matches by its words, and nothing broke
    assert sorted(await ids(memory, "park")) == ["dogs", "walk"]  # the table is still there


async def test_search_is_scoped_to_the_user(memory: PostgresMemoryService) -> None:
    assert await ids(memory, "park", user="bob") == []


async def test_a_query_uses_its_first_32_distinct_words(memory: PostgresMemoryService) -> None:
    fillers = [f"qqfiller{i}" for i in range(31)]
    repeated = " ".join(fillers + fillers)  # repeats do not use up the 32
    assert await ids(memory, f"{repeated} April") == ["tax"]  # the 32nd word counts
    assert await ids(memory, " ".join([*fillers, "zzother", "April"])) == []  # the 33rd does not
