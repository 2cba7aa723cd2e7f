"""RedisSessionService against a real server, with the in-memory service as the oracle."""

from __future__ import annotations

import asyncio
import secrets
import threading
from typing import Any

import pytest
import redis
from runners_redis.keys import KeySpace
from runners_redis.sessions import RedisSessionService

from runners_core import Content, Event, EventActions, GetSessionConfig, InMemorySessionService
from runners_core.errors import (
    RunnersError,
    SessionExistsError,
    SessionNotFoundError,
    ValidationError,
)
from runners_core.sessions.base import BaseSessionService


def agent_event(text: str = "ok", delta: dict[str, Any] | None = None, **fields: Any) -> Event:
    return Event(
        author="agent",
        invocation_id=fields.pop("invocation_id", "inv-1"),
        content=Content.from_text(text, role="model"),
        actions=EventActions(state_delta=delta or {}),
        **fields,
    )


async def test_create_and_get_round_trip_with_scopes(sessions: RedisSessionService) -> None:
    created = await sessions.create_session(
        app_name="shop",
        user_id="ann",
        session_id="s1",
        state={"cart": ["tea"], "app:currency": "EUR", "user:lang": "de", "temp:x": 1},
    )
    assert created.state == {"cart": ["tea"], "app:currency": "EUR", "user:lang": "de"}

    other = await sessions.create_session(app_name="shop", user_id="ann", session_id="s2")
    assert other.state == {"app:currency": "EUR", "user:lang": "de"}
    bob = await sessions.create_session(app_name="shop", user_id="bob", session_id="s1")
    assert bob.state == {"app:currency": "EUR"}
    elsewhere = await sessions.create_session(app_name="other", user_id="ann", session_id="s1")
    assert elsewhere.state == {}

    loaded = await sessions.get_session(app_name="shop", user_id="ann", session_id="s1")
    assert loaded is not None
    assert loaded.state == created.state
    assert loaded.events == []
    assert loaded.last_update_time == created.last_update_time
    assert await sessions.get_session(app_name="shop", user_id="cid", session_id="s1") is None


async def test_state_keys_that_need_json_escaping_load_back(
    sessions: RedisSessionService,
) -> None:
    # A load returns the three state hashes as one JSON document built on the server,
    # so the keys are escaped there: quotes, backslashes, control and non-ASCII text.
    state = {
        'a"b\\c/d': 1,
        "ünï €😀": [1.5, None, {"x": "y"}],
        "tab\tnl\n": "v\u2028",
        "": True,
        'app:é"': 2.0e300,
        "user:\\": -0.0,
    }
    await sessions.create_session(app_name="esc", user_id="u", session_id="s", state=state)
    await sessions.append_event(
        (await sessions.get_session(app_name="esc", user_id="u", session_id="s")),
        agent_event(delta={"\u0001k": {"nested": "\\"}}),
    )
    for config in (None, GetSessionConfig(after_timestamp=0.0)):
        loaded = await sessions.get_session(
            app_name="esc", user_id="u", session_id="s", config=config
        )
        assert loaded is not None
        assert loaded.state == {**state, "\u0001k": {"nested": "\\"}}
        assert len(loaded.events) == 1


async def test_create_with_taken_id_fails_and_changes_nothing(
    sessions: RedisSessionService,
) -> None:
    await sessions.create_session(app_name="a", user_id="u", session_id="s", state={"k": 1})
    with pytest.raises(SessionExistsError, match="already exists"):
        await sessions.create_session(
            app_name="a", user_id="u", session_id="s", state={"k": 2, "app:k": 3}
        )
    loaded = await sessions.get_session(app_name="a", user_id="u", session_id="s")
    assert loaded is not None and loaded.state == {"k": 1}


async def test_append_applies_deltas_trims_temp_and_is_idempotent(
    sessions: RedisSessionService,
) -> None:
    session = await sessions.create_session(app_name="a", user_id="u", session_id="s")
    event = agent_event(delta={"n": 1, "app:total": 10, "user:seen": True, "temp:scratch": "x"})
    stored = await sessions.append_event(session, event)
    assert "temp:scratch" not in stored.actions.state_delta
    assert session.state["temp:scratch"] == "x"  # visible for the rest of the invocation

    again = await sessions.append_event(session, event)  # same id: nothing changes
    assert again.id == event.id
    second = await sessions.append_event(session, agent_event("two", {"n": 2}))

    loaded = await sessions.get_session(app_name="a", user_id="u", session_id="s")
    assert loaded is not None
    assert [e.id for e in loaded.events] == [event.id, second.id]
    assert loaded.state == {"n": 2, "app:total": 10, "user:seen": True}
    assert loaded.events[0].actions.state_delta == {"n": 1, "app:total": 10, "user:seen": True}
    assert loaded.last_update_time == second.timestamp

    sibling = await sessions.create_session(app_name="a", user_id="u", session_id="s2")
    assert sibling.state == {"app:total": 10, "user:seen": True}


async def test_partial_events_are_not_stored(sessions: RedisSessionService) -> None:
    session = await sessions.create_session(app_name="a", user_id="u")
    await sessions.append_event(session, agent_event("chunk", partial=True))
    loaded = await sessions.get_session(app_name="a", user_id="u", session_id=session.id)
    assert loaded is not None and loaded.events == []


async def test_append_to_deleted_session_raises(sessions: RedisSessionService) -> None:
    session = await sessions.create_session(app_name="a", user_id="u", session_id="gone")
    await sessions.append_event(session, agent_event())
    await sessions.delete_session(app_name="a", user_id="u", session_id="gone")
    await sessions.delete_session(app_name="a", user_id="u", session_id="gone")  # no error
    with pytest.raises(SessionNotFoundError, match="gone"):
        await sessions.append_event(session, agent_event("late"))
    assert await sessions.get_session(app_name="a", user_id="u", session_id="gone") is None
    with pytest.raises(SessionNotFoundError):
        await sessions.list_events(app_name="a", user_id="u", session_id="gone")


async def test_delete_removes_every_session_key_but_keeps_scopes(
    sessions: RedisSessionService, raw_redis: redis.Redis, prefix: str
) -> None:
    session = await sessions.create_session(
        app_name="a", user_id="u", session_id="s", state={"k": 1, "app:g": 1, "user:h": 2}
    )
    await sessions.append_event(session, agent_event(delta={"k": 2}))
    keys = KeySpace(prefix)
    session_keys = keys.session("a", "u", "s").expiring
    assert raw_redis.exists(*session_keys) == 4
    await sessions.delete_session(app_name="a", user_id="u", session_id="s")
    assert raw_redis.exists(*session_keys) == 0
    assert raw_redis.zcard(keys.session_index("a")) == 0
    fresh = await sessions.create_session(app_name="a", user_id="u", session_id="s")
    assert fresh.state == {"app:g": 1, "user:h": 2}


async def _history(service: BaseSessionService, timestamps: list[float]) -> list[Event]:
    session = await service.create_session(app_name="a", user_id="u", session_id="h")
    for i, ts in enumerate(timestamps):
        await service.append_event(session, agent_event(str(i), id=f"e{i}", timestamp=ts))
    return session.events


@pytest.mark.parametrize(
    "config",
    [
        GetSessionConfig(),
        GetSessionConfig(num_recent_events=0),
        GetSessionConfig(num_recent_events=3),
        GetSessionConfig(num_recent_events=500),
        GetSessionConfig(after_timestamp=150.0),
        GetSessionConfig(after_timestamp=100.0),
        GetSessionConfig(after_timestamp=10_000.0),
        GetSessionConfig(num_recent_events=4, after_timestamp=130.0),
        GetSessionConfig(num_recent_events=150, after_timestamp=0.0),
    ],
)
async def test_get_session_history_limits_match_in_memory(
    sessions: RedisSessionService, config: GetSessionConfig
) -> None:
    # 200 events (more than one 64-event scan chunk); an older timestamp late in the
    # history stops the after_timestamp scan there, as in the in-memory service.
    timestamps = [100.0 + i for i in range(200)]
    timestamps[190] = 50.0
    oracle = InMemorySessionService()
    await _history(oracle, timestamps)
    await _history(sessions, timestamps)
    want = await oracle.get_session(app_name="a", user_id="u", session_id="h", config=config)
    got = await sessions.get_session(app_name="a", user_id="u", session_id="h", config=config)
    assert want is not None and got is not None
    assert [e.id for e in got.events] == [e.id for e in want.events]


async def test_events_round_trip_exactly(sessions: RedisSessionService) -> None:
    session = await sessions.create_session(app_name="a", user_id="u")
    event = agent_event(
        "Grüße 日本語 🚀",
        {"nested": {"list": [1, 2.5, None, "x"]}, "app:flag": False},
        custom_metadata={"k": [1, {"v": "w"}]},
        timestamp=1234.5678901234,
    )
    await sessions.append_event(session, event)
    loaded = await sessions.get_session(app_name="a", user_id="u", session_id=session.id)
    assert loaded is not None
    assert loaded.events == [event]
    assert loaded.state == {"nested": {"list": [1, 2.5, None, "x"]}, "app:flag": False}


async def test_list_events_pages_in_order(sessions: RedisSessionService) -> None:
    session = await sessions.create_session(app_name="a", user_id="u")
    ids = [(await sessions.append_event(session, agent_event(str(i)))).id for i in range(7)]
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = await sessions.list_events(
            app_name="a", user_id="u", session_id=session.id, page_size=3, page_token=token
        )
        seen += [e.id for e in page.events]
        pages += 1
        token = page.next_page_token
        if token is None:
            break
    assert seen == ids
    assert pages == 3


# Users whose ids are prefixes of each other, with characters on both sides of the
# index separator: a naive "user:session" member would order these wrongly.
TRICKY_USERS = ["a", "ab", "ab-x", "ab.c", "ab+1", "ab:z", "ab=q", "ab@h", "ab_u", "AB", "9"]


async def _fill(service: BaseSessionService) -> None:
    for user in TRICKY_USERS:
        for session_id in ("s", "s-2", "s:3", "t"):
            await service.create_session(
                app_name="app", user_id=user, session_id=session_id, state={"who": user}
            )


async def _all_pages(
    service: BaseSessionService, user_id: str | None, page_size: int
) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    token = None
    while True:
        page = await service.list_sessions(
            app_name="app", user_id=user_id, page_size=page_size, page_token=token
        )
        for s in page.sessions:
            assert s.events == []
            assert s.state == {"who": s.user_id}
        seen += [(s.user_id, s.id) for s in page.sessions]
        token = page.next_page_token
        if token is None:
            return seen


@pytest.mark.parametrize("page_size", [1, 3, 100])
async def test_list_sessions_orders_by_user_then_id_like_in_memory(
    sessions: RedisSessionService, page_size: int
) -> None:
    oracle = InMemorySessionService()
    await _fill(oracle)
    await _fill(sessions)
    want = await _all_pages(oracle, None, page_size)
    assert len(want) == len(TRICKY_USERS) * 4
    assert await _all_pages(sessions, None, page_size) == want
    for user in ("ab", "ab-x", "a"):
        assert await _all_pages(sessions, user, page_size) == await _all_pages(
            oracle, user, page_size
        )


async def test_a_page_token_cannot_leave_the_requested_user(
    sessions: RedisSessionService,
) -> None:
    await _fill(sessions)
    first = await sessions.list_sessions(app_name="app", user_id="a", page_size=1)
    assert first.next_page_token is not None
    # Reuse user "a"'s token in a listing of user "ab-x": only ab-x's sessions come back.
    page = await sessions.list_sessions(
        app_name="app", user_id="ab-x", page_token=first.next_page_token
    )
    assert {s.user_id for s in page.sessions} == {"ab-x"}
    assert len(page.sessions) == 4


async def test_ids_with_colons_do_not_collide(sessions: RedisSessionService) -> None:
    pairs = [("a:b", "c", "d"), ("a", "b:c", "d"), ("a", "b", "c:d"), ("a:b:c", "d", "d")]
    for app, user, session_id in pairs:
        await sessions.create_session(
            app_name=app,
            user_id=user,
            session_id=session_id,
            state={"me": f"{app}|{user}|{session_id}", "app:a": app, "user:u": f"{app}|{user}"},
        )
    for app, user, session_id in pairs:
        loaded = await sessions.get_session(app_name=app, user_id=user, session_id=session_id)
        assert loaded is not None
        assert loaded.state == {
            "me": f"{app}|{user}|{session_id}",
            "app:a": app,
            "user:u": f"{app}|{user}",
        }


async def test_unserialisable_state_is_a_validation_error(sessions: RedisSessionService) -> None:
    with pytest.raises(ValidationError, match="'bad'"):
        await sessions.create_session(app_name="a", user_id="u", state={"bad": object()})
    listed = await sessions.list_sessions(app_name="a")
    assert listed.sessions == []


async def test_concurrent_writers_lose_nothing(redis_url: str) -> None:
    first, second = RedisSessionService(redis_url), RedisSessionService(redis_url)
    try:
        await first.create_session(app_name="a", user_id="u", session_id="busy")

        async def write(service: RedisSessionService, tag: str) -> None:
            session = await service.get_session(app_name="a", user_id="u", session_id="busy")
            assert session is not None
            for i in range(60):
                await service.append_event(
                    session, agent_event(f"{tag}{i}", {f"{tag}{i}": i, "app:last": tag})
                )

        await asyncio.gather(*(write(svc, tag) for svc, tag in [(first, "x"), (second, "y")]))
        loaded = await first.get_session(app_name="a", user_id="u", session_id="busy")
        assert loaded is not None
        assert len(loaded.events) == 120
        assert len({e.id for e in loaded.events}) == 120
        for tag in "xy":
            assert all(loaded.state[f"{tag}{i}"] == i for i in range(60))
            mine = [e.content.text for e in loaded.events if e.content.text.startswith(tag)]
            assert mine == [f"{tag}{i}" for i in range(60)]  # each writer's order is kept
    finally:
        await first.close()
        await second.close()


def test_one_service_serves_several_event_loops(redis_url: str) -> None:
    service = RedisSessionService(redis_url)
    errors: list[BaseException] = []

    async def work(tag: str) -> None:
        session = await service.create_session(app_name="a", user_id="u", session_id=tag)
        for i in range(20):
            await service.append_event(session, agent_event(f"{tag}{i}"))

    def thread_main(tag: str) -> None:
        try:
            asyncio.run(work(tag))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=thread_main, args=(f"t{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    async def check_and_close() -> list[int]:
        counts = []
        for i in range(3):
            loaded = await service.get_session(app_name="a", user_id="u", session_id=f"t{i}")
            assert loaded is not None
            counts.append(len(loaded.events))
        await service.close()
        return counts

    assert asyncio.run(check_and_close()) == [20, 20, 20]


def named_clients(raw_redis: redis.Redis, name: str) -> int:
    """How many connections the server has from clients called *name* (CLIENT SETNAME)."""
    return sum(1 for client in raw_redis.client_list() if client["name"] == name)


async def test_close_reaches_clients_on_other_running_loops(
    make_url: Any, raw_redis: redis.Redis
) -> None:
    name = f"rr-close-{secrets.token_hex(4)}"
    service = RedisSessionService(make_url(client_name=name))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        future = asyncio.run_coroutine_threadsafe(
            service.create_session(app_name="a", user_id="u", session_id="other-loop"), loop
        )
        await asyncio.wrap_future(future)
        await service.get_session(app_name="a", user_id="u", session_id="other-loop")
        # One client per loop, each with one connection (the calls were sequential).
        assert named_clients(raw_redis, name) == 2
        await service.close()
        # The server saw every connection go, including the one of the other loop.
        for _ in range(100):
            if named_clients(raw_redis, name) == 0:
                break
            await asyncio.sleep(0.05)
        assert named_clients(raw_redis, name) == 0
        with pytest.raises(RunnersError, match="is closed; create a new one"):
            await service.get_session(app_name="a", user_id="u", session_id="other-loop")
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


async def test_a_load_fetches_older_events_only_when_read(
    redis_url: str, raw_redis: redis.Redis
) -> None:
    service = RedisSessionService(redis_url)
    key = {"app_name": "a", "user_id": "u", "session_id": "long"}
    await service.create_session(**key)
    events = [agent_event(f"turn {i}", id=f"e{i}") for i in range(100)]
    await service.import_events(**key, events=events)
    loaded = await service.get_session(**key)
    kept = await service.get_session(**key)
    assert loaded is not None and kept is not None
    # Damage the oldest stored event behind the loaded sessions' backs: the newest events
    # still read, and the damage shows (named) only when reading back that far.
    events_key = service.keys.session("a", "u", "long").events
    raw_redis.lset(events_key, 0, "{broken")
    assert [e.id for e in loaded.events[-3:]] == ["e97", "e98", "e99"]
    with pytest.raises(RunnersError, match="stored event 1 of 100"):
        [e.id for e in loaded.events]
    raw_redis.lset(events_key, 0, events[0].model_dump_json(exclude_none=True))
    # A session loaded before the service closed still reads its older events.
    await service.close()
    assert [e.id for e in kept.events] == [f"e{i}" for i in range(100)]


async def test_deleting_events_after_a_load_fails_its_older_read(redis_url: str) -> None:
    service = RedisSessionService(redis_url)
    try:
        key = {"app_name": "a", "user_id": "u", "session_id": "trimmed"}
        await service.create_session(**key)
        await service.import_events(
            **key, events=[agent_event(f"turn {i}", id=f"e{i}") for i in range(60)]
        )
        loaded = await service.get_session(**key)
        assert loaded is not None
        await service.delete_events(**key, event_ids=["e3"])
        # List indexes moved: reading them would return shifted events.
        with pytest.raises(RunnersError, match="changed in Redis .* after it was loaded"):
            list(loaded.events)
    finally:
        await service.close()
