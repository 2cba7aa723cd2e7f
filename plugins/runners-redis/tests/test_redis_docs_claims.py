"""Claims of docs/backends/redis.md checked against real servers, the way users meet them.

Each test names the claim it proves; it fails if the documented behaviour changes.
"""

from __future__ import annotations

import logging
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
import redis
from redis_own_server import free_port, own_redis_server
from runners_redis.memory import RedisMemoryService
from runners_redis.sessions import RedisSessionService

from runners_core import Content, Event
from runners_core.errors import BackendError, ConfigError, RetryableBackendError
from runners_core.services import session_service_from_url

# --- URL options (what users type) -------------------------------------------------------


def test_an_unknown_option_is_refused_when_built_listing_the_valid_ones() -> None:
    # "Any other option is an error that lists the valid ones, raised when the service is
    # built (not at the first command)": nothing listens on this port, so only building
    # can raise here.
    url = f"redis://u:pw@127.0.0.1:{free_port()}/0?prefx=shop"
    for build in (RedisSessionService, RedisMemoryService, session_service_from_url):
        with pytest.raises(ConfigError, match="unknown Redis service option 'prefx'") as info:
            build(url)
        message = str(info.value)
        for valid in ("prefix", "ttl", "lease", "allow_eviction", "socket_timeout"):
            assert valid in message, f"{valid!r} not listed in: {message}"
        assert "pw" not in message.replace("prefx", "")


@pytest.mark.parametrize(
    ("prefix", "ok"),
    [("a" * 128, True), ("a" * 129, False), ("shop.v2:eu_1-b", True), ("-shop", False)],
)
def test_prefix_rules(prefix: str, ok: bool) -> None:
    # "1-128 letters, digits, . _ : -", starting with a letter or digit.
    url = f"redis://127.0.0.1:{free_port()}/0?prefix={prefix}"
    if ok:
        assert RedisSessionService(url).settings.prefix == prefix
    else:
        with pytest.raises(ConfigError, match="prefix"):
            RedisSessionService(url)


async def test_keyword_arguments_override_the_url_on_a_real_server(
    redis_base_url: str, new_prefix: Callable[[], str], raw_redis: redis.Redis
) -> None:
    # "Keyword arguments prefix=, ttl=, lease= of the service classes override the URL's."
    url_prefix, keyword_prefix = new_prefix(), new_prefix()
    url = f"{redis_base_url}?prefix={url_prefix}&ttl=1000&lease=30"
    service = RedisSessionService(url, prefix=keyword_prefix, ttl=50, lease=2)
    try:
        session = await service.create_session(app_name="a", user_id="u")
        async with service.lock_session(app_name="a", user_id="u", session_id=session.id):
            lock = f"{keyword_prefix}/lock/a/u/{session.id}"
            assert 0 < raw_redis.pttl(lock) <= 2000
    finally:
        await service.close()
    meta = f"{keyword_prefix}/session/a/u/{session.id}/meta"
    assert 0 < raw_redis.pttl(meta) <= 50_000
    assert not list(raw_redis.scan_iter(match=f"{url_prefix}/*"))


async def test_the_default_socket_timeout_applies_to_a_silent_server() -> None:
    # Connect timeout 5 s and socket timeout 30 s are defaults; the URL's value wins.
    # A listening socket that never answers: the call fails after the URL's 0.3 s
    # (times redis-py's two retries), not after 30 s.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        url = f"redis://127.0.0.1:{port}/0?prefix=x&socket_timeout=0.3"
        service = RedisSessionService(url)
        started = time.monotonic()
        try:
            with pytest.raises(RetryableBackendError, match="cannot talk to the Redis server"):
                await service.get_session(app_name="a", user_id="u", session_id="s")
        finally:
            await service.close()
        assert time.monotonic() - started < 10


# --- Errors from the server ----------------------------------------------------------------


@pytest.fixture
def limited_user(raw_redis: redis.Redis) -> Iterator[tuple[str, str]]:
    """An ACL user that may do everything but run scripts; removed after the test."""
    name = f"runners-test-noscript-{secrets.token_hex(4)}"
    password = secrets.token_hex(8)
    raw_redis.acl_setuser(
        name, enabled=True, passwords=[f"+{password}"], keys=["*"],
        commands=["+@all", "-@scripting"],
    )  # fmt: skip
    yield name, password
    raw_redis.acl_deluser(name)


async def test_an_acl_user_without_a_permission_is_told_which(
    redis_base_url: str, limited_user: tuple[str, str], prefix: str
) -> None:
    # "ACL user lacks a command: BackendError naming the missing permission."
    user, password = limited_user
    parts = urlsplit(redis_base_url)
    url = f"redis://{user}:{password}@{parts.hostname}:{parts.port or 6379}/0?prefix={prefix}"
    service = RedisSessionService(url)
    try:
        with pytest.raises(BackendError, match="lacks a permission") as info:
            await service.create_session(app_name="a", user_id="u")
    finally:
        await service.close()
    message = str(info.value)
    assert not isinstance(info.value, RetryableBackendError)
    assert password not in message and f"{user}:***@" in message
    assert "evalsha" in message.lower() or "eval" in message.lower()
    assert "ACL SETUSER" in message  # says how to fix it


@pytest.fixture(scope="module")
def replica_server() -> Iterator[str]:
    """Our own redis-server made a read-only replica (of a primary that is not there)."""
    with own_redis_server() as url:
        client = redis.Redis.from_url(url)
        client.execute_command("REPLICAOF", "127.0.0.1", str(free_port()))
        client.close()
        yield url


async def test_a_read_only_replica_is_refused_with_the_fix(replica_server: str) -> None:
    # "connected to a read-only replica: BackendError: point the URL at the primary"
    service = RedisSessionService(f"{replica_server}?prefix=p")
    try:
        with pytest.raises(BackendError, match="read-only replica") as info:
            await service.create_session(app_name="a", user_id="u")
    finally:
        await service.close()
    assert "point the URL at the primary" in str(info.value)
    assert not isinstance(info.value, RetryableBackendError)


# --- TTL and memory search -------------------------------------------------------------------


async def test_reads_do_not_extend_a_session(
    make_url: Callable[..., str], raw_redis: redis.Redis, prefix: str
) -> None:
    # "Reads do not extend a session": a read leaves the expiry where the last write put it.
    service = RedisSessionService(make_url(ttl=100))
    try:
        session = await service.create_session(app_name="a", user_id="u")
        await service.append_event(session, Event(author="user", invocation_id="i"))
        meta = f"{prefix}/session/a/u/{session.id}/meta"
        raw_redis.pexpire(meta, 40_000)  # as if 60 s had passed since the last write
        for key in ("state", "events", "ids"):
            raw_redis.pexpire(f"{prefix}/session/a/u/{session.id}/{key}", 40_000)
        await service.get_session(app_name="a", user_id="u", session_id=session.id)
        await service.list_sessions(app_name="a", user_id="u")
        assert 0 < raw_redis.pttl(meta) <= 40_000
    finally:
        await service.close()


async def test_memory_search_does_not_stem(memory: RedisMemoryService) -> None:
    # "It does not stem (dogs does not match dog)"; words are matched lower-cased.
    event = Event(id="m0", author="user", content=Content.from_text("My DOGS bark"))
    await memory.add_events_to_memory(app_name="a", user_id="u", events=[event], session_id="s")
    found = await memory.search_memory(app_name="a", user_id="u", query="dog")
    assert found.memories == []
    found = await memory.search_memory(app_name="a", user_id="u", query="dogs")
    assert [m.id for m in found.memories] == ["m0"]


# --- our own server: script cache, a full server ---------------------------------------------


@pytest.fixture(scope="module")
def small_server() -> Iterator[str]:
    """Our own redis-server with 4 MB of memory and the default noeviction policy."""
    with own_redis_server("--maxmemory", "4mb", "--maxmemory-policy", "noeviction") as url:
        yield url


async def test_writes_survive_a_server_that_lost_its_script_cache(small_server: str) -> None:
    # "Every write is one Lua script (run with EVALSHA; EVAL on a server that lost its
    # script cache)": after SCRIPT FLUSH every kind of call still works.
    client = redis.Redis.from_url(small_server)
    service = RedisSessionService(f"{small_server}?prefix=flush{secrets.token_hex(3)}")
    try:
        session = await service.create_session(app_name="a", user_id="u", state={"n": 1})
        client.script_flush()
        await service.append_event(
            session, Event(author="user", invocation_id="i", actions={"state_delta": {"n": 2}})
        )
        client.script_flush()
        async with service.lock_session(app_name="a", user_id="u", session_id=session.id):
            pass
        client.script_flush()
        second = await service.create_session(app_name="a", user_id="u")
        client.script_flush()
        loaded = await service.get_session(app_name="a", user_id="u", session_id=session.id)
        assert loaded is not None and loaded.state["n"] == 2 and len(loaded.events) == 1
        assert second.id != session.id
    finally:
        await service.close()
        client.close()


async def test_a_full_server_refuses_new_writes_and_keeps_acknowledged_ones(
    small_server: str,
) -> None:
    # "Guaranteed with noeviction: a write that was acknowledged is never removed ...; a
    # full server makes new writes fail with a BackendError ('OOM command not allowed')."
    prefix = f"full{secrets.token_hex(3)}"
    client = redis.Redis.from_url(small_server)
    service = RedisSessionService(f"{small_server}?prefix={prefix}")
    try:
        first = await service.create_session(app_name="a", user_id="u", state={"kept": True})
        await service.append_event(first, Event(author="user", invocation_id="kept"))
        session = await service.create_session(app_name="a", user_id="u")
        big = "x" * 100_000
        with pytest.raises(BackendError, match="OOM command not allowed") as info:
            for i in range(200):  # 20 MB: well past the 4 MB limit
                refused = Event(
                    author="user", invocation_id=f"i{i}", custom_metadata={"b": big},
                    actions={"state_delta": {"k": i}},
                )  # fmt: skip
                await service.append_event(session, refused)
        message = str(info.value)
        assert not isinstance(info.value, RetryableBackendError)
        assert "nothing of this write was stored" in message and "maxmemory" in message
        loaded = await service.get_session(app_name="a", user_id="u", session_id=first.id)
        assert loaded is not None and loaded.state == {"kept": True}
        assert [e.invocation_id for e in loaded.events] == ["kept"]
        # The refused append left nothing behind: once memory is free, retrying it stores it.
        stored = await service.get_session(app_name="a", user_id="u", session_id=session.id)
        assert stored is not None
        client.config_set("maxmemory", "0")
        try:
            await service.append_event(stored, refused)
        finally:
            client.config_set("maxmemory", "4mb")
        again = await service.get_session(app_name="a", user_id="u", session_id=session.id)
        assert again is not None and again.events[-1].id == refused.id
        assert [e.invocation_id for e in again.events] == [f"i{n}" for n in range(i + 1)]
        assert again.state["k"] == i
    finally:
        await service.close()
        for key in client.scan_iter(match=f"{prefix}/*"):
            client.delete(key)
        client.close()


# --- secrets -----------------------------------------------------------------------------


async def test_passwords_appear_in_no_message_or_log_record(
    redis_base_url: str,
    prefix: str,
    raw_redis: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # "Passwords never appear in messages or logs": a wrong password against the real
    # server, an unreachable one, and a run lease whose release fails (logged as a warning)
    # because the user's password changed while the lease was held.
    name, password = f"runners-test-log-{secrets.token_hex(4)}", f"pw-{secrets.token_hex(8)}"
    raw_redis.acl_setuser(
        name, enabled=True, passwords=[f"+{password}"], keys=["*"], commands=["+@all"]
    )
    caplog.set_level(logging.DEBUG)
    parts = urlsplit(redis_base_url)
    good = f"redis://{name}:{password}@{parts.hostname}:{parts.port or 6379}/0?prefix={prefix}"
    try:
        for url in (
            good.replace(f"{name}:", f"{name}-wrong:"),
            f"redis://app:{password}@127.0.0.1:{free_port()}/0?prefix={prefix}",
        ):
            service = RedisSessionService(url)
            try:
                with pytest.raises(BackendError) as info:
                    await service.create_session(app_name="a", user_id="u")
            finally:
                await service.close()
            assert password not in str(info.value)
        service = RedisSessionService(good)
        try:
            session = await service.create_session(app_name="a", user_id="u")
            async with service.lock_session(app_name="a", user_id="u", session_id=session.id):
                raw_redis.acl_setuser(name, reset_passwords=True, passwords=["+changed"])
                raw_redis.client_kill_filter(user=name)
        finally:
            await service.close()
    finally:
        raw_redis.acl_deluser(name)
    assert "could not release run lease" in caplog.text
    assert f"{name}:***@" in caplog.text  # the URL is in the log, redacted
    for record in caplog.records:
        assert password not in record.getMessage()
    assert password not in caplog.text


def test_timeouts_must_be_under_24_8_days() -> None:
    # "timeouts finite and under 24.8 days"
    base = f"redis://127.0.0.1:{free_port()}/0?socket_timeout="
    RedisSessionService(base + "2100000")  # 24.3 days
    with pytest.raises(ConfigError, match="socket_timeout"):
        RedisSessionService(base + "2200000")  # 25.5 days


@pytest.mark.parametrize("protocol", [2, 3])
async def test_redis_py_options_reach_the_server(
    make_url: Callable[..., str], raw_redis: redis.Redis, protocol: int
) -> None:
    # redis-py's options are "passed to redis-py unchanged": client_name is what the
    # server sees, and protocol=3 (RESP3) serves every call as RESP2 does.
    name = f"runners-test-{secrets.token_hex(4)}"
    url = make_url(protocol=protocol, client_name=name)
    sessions, memory = RedisSessionService(url), RedisMemoryService(url)
    try:
        session = await sessions.create_session(app_name="a", user_id="u", state={"app:y": 1})
        async with sessions.lock_session(app_name="a", user_id="u", session_id=session.id):
            text = Content.from_text("hello dogs", role="user")
            event = Event(author="user", invocation_id="i", content=text)
            event.actions.state_delta["x"] = 2
            await sessions.append_event(session, event)
        loaded = await sessions.get_session(app_name="a", user_id="u", session_id=session.id)
        assert loaded is not None and loaded.state == {"x": 2, "app:y": 1}
        assert [e.id for e in loaded.events] == [event.id]
        listed = await sessions.list_sessions(app_name="a", user_id="u")
        assert [s.id for s in listed.sessions] == [session.id]
        await memory.add_session_to_memory(loaded)
        found = await memory.search_memory(app_name="a", user_id="u", query="dogs")
        assert [m.id for m in found.memories] == [event.id]
        seen = [c for c in raw_redis.client_list() if c["name"] == name]
        assert seen and all(c["resp"] == str(protocol) for c in seen)
    finally:
        await sessions.close()
        await memory.close()


async def test_the_path_is_the_database_number(small_server: str) -> None:
    # "The path is the database number (default 0)."
    client = redis.Redis.from_url(small_server, decode_responses=True)
    prefix = f"db{secrets.token_hex(3)}"
    service = RedisSessionService(f"{small_server[: -len('/0')]}/3?prefix={prefix}")
    try:
        session = await service.create_session(app_name="a", user_id="u")
    finally:
        await service.close()
    try:
        db3 = redis.Redis.from_url(small_server[: -len("/0")] + "/3", decode_responses=True)
        assert not client.exists(f"{prefix}/session/a/u/{session.id}/meta")
        assert db3.exists(f"{prefix}/session/a/u/{session.id}/meta")
        for key in db3.scan_iter(match=f"{prefix}/*"):
            db3.delete(key)
        db3.close()
    finally:
        for key in client.scan_iter(match=f"{prefix}/*"):
            client.delete(key)
        client.close()


@pytest.mark.parametrize("first", ["x", "x/y"])
async def test_memory_of_apps_with_slashes_never_shares_a_key(
    memory: RedisMemoryService, raw_redis: redis.Redis, prefix: str, first: str
) -> None:
    # "two different triples can never produce the same key", also for app names with
    # '/'-separated segments: app "x", user "y" with the word and session "records" and
    # app "x/y", users "t" and "s" used to share keys (WRONGTYPE for whoever came second).
    scopes = [("x", "y"), ("x/y", "t"), ("x/y", "s")]
    if first == "x/y":
        scopes.reverse()
    for n, (app, user) in enumerate(scopes):
        text = Content.from_text(f"my records {app} {user}", role="user")
        event = Event(id=f"m{n}", author="user", content=text)
        await memory.add_events_to_memory(
            app_name=app, user_id=user, events=[event], session_id="records"
        )
    for n, (app, user) in enumerate(scopes):
        found = await memory.search_memory(app_name=app, user_id=user, query="records")
        assert [m.id for m in found.memories] == [f"m{n}"], (app, user)
    keys = set(raw_redis.scan_iter(match=f"{prefix}/memory/*"))
    assert f"{prefix}/memory/x|y/t/records" in keys and f"{prefix}/memory/x/y/t/records" in keys
    # Listing an app (export, retention) sees its own users only.
    for app, users in (("x/y", ["s", "t"]), ("x", ["y"])):
        listed, _ = await memory.list_memories(app_name=app)
        assert sorted(user for user, _ in listed) == users
    await memory.delete_memory(app_name="x", user_id="y")
    for app, user in scopes:
        found = await memory.search_memory(app_name=app, user_id=user, query="records")
        assert (found.memories == []) == ((app, user) == ("x", "y"))


async def test_memory_never_expires_and_takes_the_sessions_url(
    make_url: Callable[..., str], raw_redis: redis.Redis, prefix: str
) -> None:
    # "ttl ... Sessions only", "lease ... Sessions only"; "App and user state never expire,
    # and neither does memory": one URL with ttl and lease serves both services.
    url = make_url(ttl=30, lease=1)
    memory = RedisMemoryService(url)
    sessions = RedisSessionService(url)
    try:
        text = Content.from_text("kept forever", role="user")
        session = await sessions.create_session(
            app_name="a", user_id="u", state={"app:g": 1, "user:h": 2}
        )
        await memory.add_events_to_memory(
            app_name="a", user_id="u", events=[Event(id="m0", author="user", content=text)]
        )
    finally:
        await memory.close()
        await sessions.close()
    memory_keys = list(raw_redis.scan_iter(match=f"{prefix}/memory/*"))
    scope_keys = [f"{prefix}/app/a/state", f"{prefix}/user/a/u/state"]
    assert memory_keys and all(raw_redis.pttl(key) == -1 for key in memory_keys + scope_keys)
    assert 0 < raw_redis.pttl(f"{prefix}/session/a/u/{session.id}/meta") <= 30_000
