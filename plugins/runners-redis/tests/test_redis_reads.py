"""The per-turn scripts (loads, appends, the run lease) on the script channel: bounded by
the socket timeout, retried, packed by hiredis, no task per command."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import pytest
import redis
from redis.asyncio.connection import Connection
from redis.exceptions import DataError
from runners_redis import scripts
from runners_redis.sessions import RedisSessionService

from runners_core import Content, Event, GetSessionConfig
from runners_core.errors import RetryableBackendError


class StallingProxy:
    """A TCP proxy to the test server that can stop passing the server's replies on."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.replies = asyncio.Event()  # set: replies pass; clear: the server "stalls"
        self.replies.set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(self.host, self.port)
        self._writers += [client_w, server_w]
        for source, sink, gate in ((client_r, server_w, None), (server_r, client_w, self.replies)):
            task = asyncio.create_task(self._pipe(source, sink, gate))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pipe(
        source: asyncio.StreamReader, sink: asyncio.StreamWriter, gate: asyncio.Event | None
    ) -> None:
        try:
            while data := await source.read(65536):
                if gate is not None:
                    await gate.wait()
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            sink.close()

    async def drop(self) -> None:
        """Close every connection made so far, as a restarting server or proxy would."""
        writers, self._writers = self._writers, []
        for writer in writers:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@pytest.fixture
async def proxy(redis_base_url: str) -> AsyncIterator[StallingProxy]:
    parts = urlsplit(redis_base_url)
    found = StallingProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    await found.start()
    yield found
    await found.stop()


def _event(text: str) -> Event:
    return Event(author="agent", invocation_id="inv", content=Content.from_text(text))


async def test_a_load_from_a_stalled_server_fails_within_the_socket_timeout(
    proxy: StallingProxy, redis_base_url: str, make_url: Callable[..., str]
) -> None:
    assert proxy._server is not None
    port = proxy._server.sockets[0].getsockname()[1]
    base = redis_base_url.replace(f":{urlsplit(redis_base_url).port}", f":{port}", 1)
    url = make_url(socket_timeout=0.3).replace(redis_base_url, base, 1)
    service = RedisSessionService(url)
    key = {"app_name": "app", "user_id": "u", "session_id": "s"}
    try:
        session = await service.create_session(**key)
        await service.append_event(session, _event("one"))
        assert (await service.get_session(**key)) is not None  # the channel is connected

        proxy.replies.clear()
        start = time.monotonic()
        with pytest.raises(RetryableBackendError, match=r"no reply .* within 0\.3s"):
            await service.get_session(**key)
        elapsed = time.monotonic() - start
        # Three attempts (two retries) of 0.3 s each, plus the retries' short backoff.
        assert 0.9 <= elapsed < 5.0

        proxy.replies.set()
        loaded = await service.get_session(**key)  # reconnected: no stale reply is read
        assert loaded is not None
        assert [e.content.parts[0].text for e in loaded.events] == ["one"]
    finally:
        proxy.replies.set()
        await service.close()


async def test_a_load_cancelled_mid_reply_leaves_no_reply_for_the_next(
    proxy: StallingProxy, redis_base_url: str, make_url: Callable[..., str]
) -> None:
    """A caller's cancellation (its own timeout) while the reply is held back: the
    channel's connection is dropped, so the next load never reads the old reply."""
    assert proxy._server is not None
    port = proxy._server.sockets[0].getsockname()[1]
    base = redis_base_url.replace(f":{urlsplit(redis_base_url).port}", f":{port}", 1)
    service = RedisSessionService(make_url().replace(redis_base_url, base, 1))
    try:
        for name in ("a", "b"):
            session = await service.create_session(app_name="app", user_id="u", session_id=name)
            await service.append_event(session, _event(f"in {name}"))
        proxy.replies.clear()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(
                service.get_session(app_name="app", user_id="u", session_id="a"), 0.2
            )
        proxy.replies.set()  # the held reply for "a" reaches a closed socket, if at all
        loaded = await service.get_session(app_name="app", user_id="u", session_id="b")
        assert loaded is not None and loaded.id == "b"
        assert [e.content.parts[0].text for e in loaded.events] == ["in b"]
    finally:
        proxy.replies.set()
        await service.close()


async def test_concurrent_loads_each_get_their_own_reply(sessions: RedisSessionService) -> None:
    names = [f"s{n}" for n in range(20)]
    for name in names:
        session = await sessions.create_session(app_name="app", user_id="u", session_id=name)
        await sessions.append_event(session, _event(f"in {name}"))
    for _ in range(3):
        loaded = await asyncio.gather(
            *(sessions.get_session(app_name="app", user_id="u", session_id=n) for n in names)
        )
        assert [(s.id, s.events[0].content.parts[0].text) for s in loaded if s] == [
            (n, f"in {n}") for n in names
        ]


async def test_dropped_connections_are_retried(
    proxy: StallingProxy, redis_base_url: str, make_url: Callable[..., str]
) -> None:
    """A load and an append on connections the server side closed reconnect and succeed
    (redis-py's retry policy: two retries after a connection error)."""
    assert proxy._server is not None
    port = proxy._server.sockets[0].getsockname()[1]
    base = redis_base_url.replace(f":{urlsplit(redis_base_url).port}", f":{port}", 1)
    service = RedisSessionService(make_url().replace(redis_base_url, base, 1))
    key = {"app_name": "app", "user_id": "u", "session_id": "s"}
    try:
        session = await service.create_session(**key)
        await service.append_event(session, _event("one"))
        assert (await service.get_session(**key)) is not None
        await proxy.drop()
        loaded = await service.get_session(**key)
        assert loaded is not None
        assert [e.content.parts[0].text for e in loaded.events] == ["one"]
        await proxy.drop()
        await service.append_event(loaded, _event("two"))
        await proxy.drop()
        again = await service.get_session(**key)
        assert again is not None
        assert [e.content.parts[0].text for e in again.events] == ["one", "two"]
    finally:
        await service.close()


async def test_loads_and_appends_create_no_task(sessions: RedisSessionService) -> None:
    """redis-py's socket timeout wraps a send in a task (asyncio.wait_for on 3.11); the
    channel bounds the exchange with asyncio.timeout instead."""
    key = {"app_name": "app", "user_id": "u", "session_id": "s"}
    session = await sessions.create_session(**key)
    for n in range(40):
        await sessions.append_event(session, _event(f"e{n}"))
    recent = GetSessionConfig(num_recent_events=10)
    await sessions.get_session(**key, config=recent)  # connected, server checked

    loop = asyncio.get_running_loop()
    created: list[object] = []
    previous = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro: object, **kwargs: object) -> object:
        created.append(coro)
        return asyncio.Task(coro, loop=loop, **kwargs)  # type: ignore[arg-type]

    loop.set_task_factory(counting)  # type: ignore[arg-type]
    try:
        for config in (recent, None):
            loaded = await sessions.get_session(**key, config=config)
            assert loaded is not None
        await sessions.append_event(loaded, _event("last"))
    finally:
        loop.set_task_factory(previous)
    assert len(loaded.events) == 41
    assert created == []

    # Holding the run lease makes its renewer, and nothing else.
    loop.set_task_factory(counting)  # type: ignore[arg-type]
    try:
        async with sessions.lock_session(**key, timeout=1):
            await sessions.append_event(loaded, _event("locked"))
    finally:
        loop.set_task_factory(previous)
    assert len(created) == 1
    stored = await sessions.get_session(**key)
    assert stored is not None and stored.events[-1].content.parts[0].text == "locked"
    created.clear()

    # The check can fail: redis-py's own command path does make one.
    loop.set_task_factory(counting)  # type: ignore[arg-type]
    try:
        async with sessions._connections.client() as client:
            await client.get("anything")
    finally:
        loop.set_task_factory(previous)
    assert created, "redis-py's command path no longer makes a task: revisit the channel"


async def test_a_process_that_only_loads_opens_one_connection(
    make_url: Callable[..., str], raw_redis: redis.Redis
) -> None:
    """The server checks run on the channel's connection, not on a second one."""
    name = f"rr-reads-{secrets.token_hex(4)}"
    writer = RedisSessionService(make_url())
    try:
        session = await writer.create_session(app_name="app", user_id="u", session_id="s")
        await writer.append_event(session, _event("one"))
    finally:
        await writer.close()
    reader = RedisSessionService(make_url(client_name=name))
    try:
        for _ in range(3):
            loaded = await reader.get_session(app_name="app", user_id="u", session_id="s")
            assert loaded is not None
        ours = [c for c in raw_redis.client_list() if c["name"] == name]
        assert len(ours) == 1
    finally:
        await reader.close()


@pytest.mark.parametrize(
    "command",
    [
        ("EVALSHA", "ab" * 20, 2, "k/ä/1", "k/日本", "id-1", '{"t":"é\\n😀"}', "1.5", 0, -1, ""),
        ("EVALSHA", "cd" * 20, 0, 12345678901234567890),
    ],
)
def test_hiredis_packs_as_redis_py_does(command: tuple[object, ...]) -> None:
    connection = Connection(decode_responses=True)
    assert scripts._hiredis_pack is not None  # redis[hiredis] is a dependency
    assert scripts.pack(connection, command) == b"".join(connection.pack_command(*command))


def test_packing_falls_back_to_redis_py_for_what_hiredis_does_not_take() -> None:
    connection = Connection(decode_responses=True)
    with pytest.raises(DataError, match="Invalid input of type: 'dict'"):
        scripts.pack(connection, ("EVALSHA", "x", 0, {"not": "encodable"}))
