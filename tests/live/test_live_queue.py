"""LiveRequestQueue and LiveRequest: order, sticky close, errors, threads, no loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from pydantic import ValidationError as PydanticValidationError

from runners_core import Blob, Content, LiveRequest, LiveRequestQueue
from runners_core.errors import RunnersError, ValidationError
from runners_core.live import ActivityStart, LiveRequestQueueClosedError


async def drain(queue: LiveRequestQueue) -> list[LiveRequest]:
    return [request async for request in queue]


async def test_requests_come_out_in_the_order_sent():
    queue = LiveRequestQueue()
    blob = Blob(data=b"\x01\x02", mime_type="audio/pcm")
    queue.send_activity_start()
    queue.send_content(Content.from_text("hi"))
    queue.send_realtime(blob)
    queue.send_activity_end()
    queue.send(LiveRequest(content=Content.from_text("bye")))
    queue.close()
    requests = await drain(queue)
    # As in ADK: the activity markers are ActivityStart()/ActivityEnd() or None.
    assert [r.activity_start is not None for r in requests] == [True, False, False, False, False]
    assert requests[0].activity_start == ActivityStart()
    assert [r.activity_end for r in requests].count(None) == 4
    assert requests[1].content == Content.from_text("hi")
    assert requests[2].blob == blob
    assert requests[3].activity_end
    assert requests[4].content.text == "bye"


async def test_close_is_sticky_after_the_pending_requests():
    queue = LiveRequestQueue()
    queue.send_content(Content.from_text("before close"))
    queue.close()
    queue.close()  # closing twice is harmless
    assert queue.closed
    first = await queue.get()
    assert first.content.text == "before close"
    for _ in range(3):
        assert (await queue.get()).close


async def test_a_close_request_closes_the_queue():
    queue = LiveRequestQueue()
    queue.send(LiveRequest(close=True))
    assert queue.closed
    assert (await queue.get()).close


@pytest.mark.parametrize(
    "send",
    [
        lambda q: q.send_content(Content.from_text("late")),
        lambda q: q.send_realtime(Blob(data=b"x", mime_type="audio/pcm")),
        lambda q: q.send_activity_start(),
        lambda q: q.send_activity_end(),
        lambda q: q.send(LiveRequest(close=True)),
    ],
)
def test_sending_after_close_is_a_clear_error(send):
    queue = LiveRequestQueue()
    queue.close()
    with pytest.raises(LiveRequestQueueClosedError, match="create a new queue") as info:
        send(queue)
    assert isinstance(info.value, RunnersError)


def test_wrong_argument_types_are_rejected_with_a_fix():
    queue = LiveRequestQueue()
    with pytest.raises(ValidationError, match=r"Content.from_text"):
        queue.send_content("just a string")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"Blob\(data="):
        queue.send_realtime(b"raw bytes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="send_content"):
        queue.send({"content": "x"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"activity_start": True, "activity_end": True},
        {"close": True, "content": Content()},
        {"audio_stream_end": True, "blob": Blob(data=b"x")},
    ],
)
def test_a_live_request_carries_exactly_one_thing(fields):
    with pytest.raises(PydanticValidationError, match="exactly one of"):
        LiveRequest(**fields)


def test_usable_before_any_event_loop_exists():
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    queue = LiveRequestQueue()
    queue.send_content(Content.from_text("queued without a loop"))
    queue.close()
    assert asyncio.run(drain(queue))[0].content.text == "queued without a loop"
    # The same closed queue can be read from a second, different loop.
    assert asyncio.run(queue.get()).close


async def test_a_waiting_reader_is_woken_by_a_send_on_its_loop():
    queue = LiveRequestQueue()
    reader = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not reader.done()
    queue.send_content(Content.from_text("wake up"))
    assert (await reader).content.text == "wake up"


@pytest.fixture
def busy_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A loop running on its own thread, in debug mode: asyncio then raises on any
    non-thread-safe call from this (test) thread instead of losing the wake-up."""
    loop = asyncio.new_event_loop()
    loop.set_debug(True)
    thread = threading.Thread(target=loop.run_forever, name="live-test-loop")
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def park_reader(loop: asyncio.AbstractEventLoop, queue: LiveRequestQueue) -> asyncio.Task:
    """Start ``queue.get()`` on *loop* and return once it waits for a request."""

    async def start() -> asyncio.Task:
        reader = asyncio.create_task(queue.get())
        await asyncio.sleep(0)
        assert not reader.done()
        return reader

    return asyncio.run_coroutine_threadsafe(start(), loop).result()


def result_of(loop: asyncio.AbstractEventLoop, reader: asyncio.Task) -> LiveRequest:
    async def wait() -> LiveRequest:
        return await reader

    # The timeout only guards against a lost wake-up; nothing is timed.
    return asyncio.run_coroutine_threadsafe(wait(), loop).result(timeout=60)


def test_a_waiting_reader_is_woken_from_another_thread(busy_loop):
    queue = LiveRequestQueue()
    reader = park_reader(busy_loop, queue)
    queue.send_content(Content.from_text("from another thread"))
    assert result_of(busy_loop, reader).content.text == "from another thread"


def test_close_from_another_thread_wakes_the_reader(busy_loop):
    queue = LiveRequestQueue()
    reader = park_reader(busy_loop, queue)
    queue.close()
    assert result_of(busy_loop, reader).close


async def test_many_threads_sending_at_once_lose_nothing():
    queue = LiveRequestQueue()
    per_thread = 200

    def produce(name: str) -> None:
        for i in range(per_thread):
            queue.send_content(Content.from_text(f"{name}-{i}"))

    threads = [threading.Thread(target=produce, args=(f"t{n}",)) for n in range(3)]
    received: list[str] = []

    async def consume() -> None:
        while len(received) < per_thread * len(threads):
            received.append((await queue.get()).content.text)

    consumer = asyncio.create_task(consume())
    for thread in threads:
        thread.start()
    await consumer
    for thread in threads:
        thread.join()
    assert len(received) == 600
    for n in range(3):
        mine = [text for text in received if text.startswith(f"t{n}-")]
        assert mine == [f"t{n}-{i}" for i in range(per_thread)]  # per-sender order kept


async def test_a_cancelled_get_loses_no_request():
    queue = LiveRequestQueue()
    reader = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    queue.send_content(Content.from_text("still here"))
    assert (await queue.get()).content.text == "still here"


async def test_async_iteration_stops_at_close_and_not_before():
    queue = LiveRequestQueue()
    seen: list[str] = []

    async def consume() -> None:
        async for request in queue:
            seen.append(request.content.text)

    consumer = asyncio.create_task(consume())
    queue.send_content(Content.from_text("a"))
    await asyncio.sleep(0)
    queue.send_content(Content.from_text("b"))
    await asyncio.sleep(0)
    assert not consumer.done()
    queue.close()
    await consumer
    assert seen == ["a", "b"]
