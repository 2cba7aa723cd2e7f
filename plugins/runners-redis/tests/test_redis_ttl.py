"""Session TTL: set on create, refreshed on every write; expired sessions act deleted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import redis
from runners_redis.keys import KeySpace
from runners_redis.sessions import RedisSessionService

from runners_core import Content, Event
from runners_core.errors import SessionNotFoundError


def _event(text: str, **delta: object) -> Event:
    event = Event(author="user", content=Content.from_text(text))
    event.actions.state_delta.update(delta)
    return event


async def test_no_ttl_means_no_expiry(
    sessions: RedisSessionService, raw_redis: redis.Redis, prefix: str
) -> None:
    session = await sessions.create_session(app_name="a", user_id="u", state={"k": 1})
    await sessions.append_event(session, _event("hi"))
    for key in KeySpace(prefix).session("a", "u", session.id).expiring:
        assert raw_redis.pttl(key) == -1


async def test_ttl_is_set_on_create_and_refreshed_on_append(
    make_url: Callable[..., str], raw_redis: redis.Redis, prefix: str
) -> None:
    service = RedisSessionService(make_url(ttl=1000))
    try:
        session = await service.create_session(
            app_name="a", user_id="u", state={"k": 1, "app:g": 1, "user:h": 1}
        )
        keys = KeySpace(prefix)
        session_keys = keys.session("a", "u", session.id)
        assert 0 < raw_redis.pttl(session_keys.meta) <= 1_000_000
        assert 0 < raw_redis.pttl(session_keys.state) <= 1_000_000

        for key in session_keys.expiring:  # as if the session had sat idle for a while
            raw_redis.pexpire(key, 5_000)
        await service.append_event(session, _event("hi", k=2))
        for key in session_keys.expiring:
            assert 5_000 < raw_redis.pttl(key) <= 1_000_000
        # App and user state outlive any one session.
        assert raw_redis.pttl(keys.app_state("a")) == -1
        assert raw_redis.pttl(keys.user_state("a", "u")) == -1
    finally:
        await service.close()


async def test_expired_session_behaves_as_deleted(
    make_url: Callable[..., str], raw_redis: redis.Redis, prefix: str
) -> None:
    service = RedisSessionService(make_url(ttl=0.2))
    try:
        keep = RedisSessionService(make_url())  # same prefix, no TTL
        kept = await keep.create_session(app_name="a", user_id="u", session_id="kept")
        session = await service.create_session(
            app_name="a", user_id="u", session_id="brief", state={"k": 1, "app:g": 7}
        )
        await service.append_event(session, _event("hi", k=2))
        for _ in range(200):  # waits for the server, asserts nothing about time
            if await service.get_session(app_name="a", user_id="u", session_id="brief") is None:
                break
            await asyncio.sleep(0.05)
        assert await service.get_session(app_name="a", user_id="u", session_id="brief") is None

        listed = await service.list_sessions(app_name="a")
        assert [s.id for s in listed.sessions] == [kept.id]
        # Listing pruned the expired member from the index.
        assert raw_redis.zrange(KeySpace(prefix).session_index("a"), 0, -1) == ["u#kept"]
        with pytest.raises(SessionNotFoundError):
            await service.append_event(session, _event("late"))
        with pytest.raises(SessionNotFoundError):
            await service.list_events(app_name="a", user_id="u", session_id="brief")

        again = await service.create_session(app_name="a", user_id="u", session_id="brief")
        assert again.state == {"app:g": 7}  # nothing of the expired session came back
        loaded = await service.get_session(app_name="a", user_id="u", session_id="brief")
        assert loaded is not None and loaded.events == []
        await keep.close()
    finally:
        await service.close()


async def test_listing_skips_many_expired_sessions_and_still_fills_pages(
    sessions: RedisSessionService, raw_redis: redis.Redis, prefix: str
) -> None:
    keys = KeySpace(prefix)
    for i in range(30):
        await sessions.create_session(app_name="a", user_id="u", session_id=f"s{i:02d}")
    for i in range(30):
        if i % 3:  # expire two of every three
            for key in keys.session("a", "u", f"s{i:02d}").expiring:
                raw_redis.delete(key)
    seen = []
    token = None
    while True:
        page = await sessions.list_sessions(app_name="a", page_size=4, page_token=token)
        assert len(page.sessions) == 4 or page.next_page_token is None
        seen += [s.id for s in page.sessions]
        token = page.next_page_token
        if token is None:
            break
    assert seen == [f"s{i:02d}" for i in range(0, 30, 3)]
    assert raw_redis.zcard(keys.session_index("a")) == 10
