"""Commands the server ran whose reply was lost: the retry must report what happened.

A proxy passes one chosen command to the server and, once the server's reply comes
back, drops the connection instead of passing the reply on: the server has run the
command and the client sees a connection error, so redis-py retries it. Each test
then checks the effect happened once and the reported result is the first run's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import pytest
import redis
from runners_redis.lease import ACQUIRE, RELEASE
from runners_redis.session_scripts import APPEND, CREATE, DELETE_EVENTS
from runners_redis.sessions import RedisSessionService

from runners_core import Content, Event
from runners_core.state_ops import StateOp


class ReplyLosingProxy:
    """A TCP proxy to the test server that loses the reply of one armed command."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.marker: bytes | None = None  # the next command containing it loses its reply
        self.replies = 1  # how many reply lines (CRLF) to wait for before dropping
        self.dropped = 0  # replies lost so far
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def arm(self, marker: bytes, replies: int = 1) -> None:
        self.marker, self.replies = marker, replies

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(self.host, self.port)
        doomed = asyncio.Event()  # set: this connection's next reply is lost

        async def upstream() -> None:
            try:
                while data := await client_r.read(65536):
                    if self.marker is not None and self.marker in data:
                        self.marker = None
                        doomed.set()
                    server_w.write(data)
                    await server_w.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                server_w.close()

        async def downstream() -> None:
            held = b""
            try:
                while data := await server_r.read(65536):
                    if doomed.is_set():
                        held += data
                        if held.count(b"\r\n") >= self.replies:
                            # The server ran the command: lose its reply with the connection.
                            self.dropped += 1
                            break
                        continue
                    client_w.write(data)
                    await client_w.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                client_w.close()
                server_w.close()

        for coro in (upstream(), downstream()):
            task = asyncio.create_task(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@pytest.fixture
async def lossy(
    redis_base_url: str, make_url: Callable[..., str]
) -> AsyncIterator[tuple[ReplyLosingProxy, RedisSessionService]]:
    """The proxy, and a session service that talks to the test server through it."""
    parts = urlsplit(redis_base_url)
    proxy = ReplyLosingProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    port = await proxy.start()
    base = redis_base_url.replace(f":{parts.port}", f":{port}", 1)
    service = RedisSessionService(make_url().replace(redis_base_url, base, 1))
    try:
        yield proxy, service
    finally:
        await service.close()
        await proxy.stop()


KEY = {"app_name": "app", "user_id": "u", "session_id": "s"}


def _event(text: str) -> Event:
    return Event(author="agent", invocation_id="inv", content=Content.from_text(text))


def _texts(events: object) -> list[str]:
    return [e.content.parts[0].text for e in events]  # type: ignore[attr-defined]


async def test_an_append_whose_reply_was_lost_is_reported_stored(
    lossy: tuple[ReplyLosingProxy, RedisSessionService], raw_redis: redis.Redis
) -> None:
    """Before the receipt, the retry found its own event id stored and reported "already
    stored": the live session then lacked the event and its state delta."""
    proxy, service = lossy
    session = await service.create_session(**KEY)
    await service.append_event(session, _event("one"))  # the script is on the server
    proxy.arm(APPEND.sha.encode())
    event = _event("two")
    event.actions.state_delta = {"k": 1, "user:seen": True}
    await service.append_event(session, event)
    assert proxy.dropped == 1
    assert _texts(session.events) == ["one", "two"]
    assert session.state["k"] == 1 and session.state["user:seen"] is True
    loaded = await service.get_session(**KEY)
    assert loaded is not None
    assert _texts(loaded.events) == ["one", "two"]
    assert raw_redis.llen(service.keys.session(**KEY).events) == 2

    # Appending the same event again is still "already stored": nothing changes.
    await service.append_event(session, event)
    assert _texts(session.events) == ["one", "two"]


async def test_an_increment_whose_reply_was_lost_is_applied_once(
    lossy: tuple[ReplyLosingProxy, RedisSessionService], raw_redis: redis.Redis
) -> None:
    """The operations' transaction lost EXEC's reply: the next round must neither apply the
    increment again nor report the event unstored (the live state then lacked it, or, had it
    taken the recomputed results, showed the increment twice)."""
    proxy, service = lossy
    session = await service.create_session(**KEY)
    event = _event("count")
    event.actions.state_ops = [
        StateOp(op="increment", key="count", value=1),
        StateOp(op="increment", key="user:count", value=5),
    ]
    await service.append_event(session, event)
    assert session.state["count"] == 1 and session.state["user:count"] == 5

    proxy.arm(b"EXEC", replies=4)  # MULTI +OK, EVAL +QUEUED, EXEC *1 :1
    again = _event("count again")
    again.actions.state_ops = [
        StateOp(op="increment", key="count", value=1),
        StateOp(op="increment", key="user:count", value=5),
    ]
    await service.append_event(session, again)
    assert proxy.dropped == 1
    assert session.state["count"] == 2 and session.state["user:count"] == 10
    assert _texts(session.events) == ["count", "count again"]
    loaded = await service.get_session(**KEY)
    assert loaded is not None
    assert loaded.state["count"] == 2 and loaded.state["user:count"] == 10
    assert _texts(loaded.events) == ["count", "count again"]


async def test_a_batch_whose_replies_were_lost_reports_each_record_as_first_run(
    lossy: tuple[ReplyLosingProxy, RedisSessionService], raw_redis: redis.Redis
) -> None:
    """import_events pipelines one script per event; the retry sends them all again. Its
    count must be the first run's: the new ones, not the duplicates that were there."""
    proxy, service = lossy
    session = await service.create_session(**KEY)
    old = _event("old")
    await service.append_event(session, old)
    events = [_event("a"), old, _event("b")]
    proxy.arm(APPEND.sha.encode(), replies=3)
    assert await service.import_events(**KEY, events=events) == 2
    assert proxy.dropped == 1
    loaded = await service.get_session(**KEY)
    assert loaded is not None
    assert _texts(loaded.events) == ["old", "a", "b"]


async def test_a_deletion_whose_reply_was_lost_reports_what_it_removed(
    lossy: tuple[ReplyLosingProxy, RedisSessionService], raw_redis: redis.Redis
) -> None:
    """Before the receipt, the retry found the events gone and reported 0 removed (so
    ``runners prune`` under-counted the events it trimmed)."""
    proxy, service = lossy
    session = await service.create_session(**KEY)
    events = [_event("one"), _event("two"), _event("three")]
    for event in events:
        await service.append_event(session, event)
    raw_redis.script_load(DELETE_EVENTS.source)  # so the armed command is the one that runs
    proxy.arm(DELETE_EVENTS.sha.encode())
    ids = [events[0].id, events[1].id]
    assert await service.delete_events(**KEY, event_ids=ids) == 2
    assert proxy.dropped == 1
    loaded = await service.get_session(**KEY)
    assert loaded is not None
    assert _texts(loaded.events) == ["three"]
    keys = service.keys.session(**KEY)
    assert raw_redis.smembers(keys.event_ids) == {events[2].id}
    # A new call is a new attempt: nothing is left to remove.
    assert await service.delete_events(**KEY, event_ids=ids) == 0


async def test_deleting_events_of_a_missing_session_creates_nothing(
    lossy: tuple[ReplyLosingProxy, RedisSessionService], raw_redis: redis.Redis
) -> None:
    _, service = lossy
    assert await service.delete_events(**KEY, event_ids=["e1"]) == 0
    keys = service.keys.session(**KEY)
    assert raw_redis.exists(*keys.expiring) == 0


async def test_a_create_whose_reply_was_lost_succeeds(
    lossy: tuple[ReplyLosingProxy, RedisSessionService], raw_redis: redis.Redis
) -> None:
    """The create's nonce: the retry finds its own session, not "already exists"."""
    proxy, service = lossy
    raw_redis.script_load(CREATE.source)
    proxy.arm(CREATE.sha.encode())
    session = await service.create_session(**KEY, state={"k": 1, "app:a": 2})
    assert proxy.dropped == 1
    assert session.state == {"k": 1, "app:a": 2}


async def test_a_lease_whose_replies_were_lost_is_taken_and_released(
    lossy: tuple[ReplyLosingProxy, RedisSessionService], raw_redis: redis.Redis
) -> None:
    """Acquiring is idempotent by token (the retry finds the lease its own, so a caller
    that will not wait is not told the session is busy); releasing twice deletes once."""
    proxy, service = lossy
    await service.create_session(**KEY)
    lock = service.keys.lock(**KEY)
    raw_redis.script_load(ACQUIRE.source)
    raw_redis.script_load(RELEASE.source)
    proxy.arm(ACQUIRE.sha.encode())
    async with service.lock_session(**KEY, timeout=0):
        assert proxy.dropped == 1
        lease = service.held_lease(**KEY)
        assert lease is not None and raw_redis.get(lock) == lease.token
        proxy.arm(RELEASE.sha.encode())
    assert proxy.dropped == 2
    assert raw_redis.exists(lock) == 0
