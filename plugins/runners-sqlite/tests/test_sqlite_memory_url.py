"""``sqlite:///:memory:`` works as ADK users write it in tests: private and throwaway."""

from __future__ import annotations

import gc

from runners_sqlite.settings import parse_url

from runners_core import (
    Content,
    Event,
    memory_service_from_url,
    session_service_from_url,
)


async def test_memory_url_sessions_work_and_are_private_per_service():
    first = session_service_from_url("sqlite:///:memory:")
    second = session_service_from_url("sqlite:///:memory:")
    session = await first.create_session(app_name="app", user_id="u", session_id="s")
    await first.append_event(session, Event(author="user", content=Content.from_text("hi")))
    loaded = await first.get_session(app_name="app", user_id="u", session_id="s")
    assert [e.content.text for e in loaded.events] == ["hi"]
    assert await second.get_session(app_name="app", user_id="u", session_id="s") is None
    await first.close()
    await second.close()


async def test_memory_url_memory_service_searches():
    service = memory_service_from_url("sqlite:///:memory:")
    session = await session_service_from_url("memory://").create_session(
        app_name="app", user_id="u"
    )
    session.events.append(Event(author="user", content=Content.from_text("blue whales sing")))
    await service.add_session_to_memory(session)
    found = await service.search_memory(app_name="app", user_id="u", query="whales")
    assert [m.content.text for m in found.memories] == ["blue whales sing"]
    await service.close()


def test_the_throwaway_database_is_removed_with_its_settings():
    settings = parse_url("sqlite:///:memory:")
    directory = settings.path.parent
    assert directory.is_dir() and settings.path.name == "memory.db"
    del settings
    gc.collect()
    assert not directory.exists()
