"""Sending while the run streams (tasks and threads), and serialisation with run_async."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator
from contextlib import aclosing

import pytest

from runners_core import BaseAgent, Event, InvocationContext, LiveRequestQueue
from runners_core.errors import SessionBusyError, ValidationError
from tests.live.live_kit import NoLeaks, label, labels_of, live_runner, say, stored

WORDS = ["one", "two", "three", "four"]


async def settle(rounds: int = 20) -> None:
    """Let every ready task run a few steps (no timing involved)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def test_a_producer_task_sends_while_the_consumer_iterates():
    leaks = NoLeaks()
    runner = live_runner()
    queue = LiveRequestQueue()
    answered = {word: asyncio.Event() for word in WORDS}
    sent_after: list[tuple[str, list[str]]] = []
    seen: list[str] = []

    async def produce() -> None:
        # Each message is sent only after the previous answer arrived: a real conversation.
        for word in WORDS:
            sent_after.append((word, list(seen)))
            queue.send_content(say(word))
            await answered[word].wait()
        queue.close()

    producer = asyncio.create_task(produce())
    async with aclosing(
        runner.run_live(user_id="u", session_id="s", live_request_queue=queue)
    ) as events:
        async for event in events:
            seen.append(label(event))
            if not event.partial:
                answered[event.content.text.removeprefix("echo: ")].set()
    await producer
    assert sent_after[1] == ("two", ["echo:one[partial]", "echo:echo: one"])
    assert len(seen) == 2 * len(WORDS)
    assert await stored(runner) == [
        item for word in WORDS for item in (f"user:{word}", f"echo:echo: {word}")
    ]
    leaks.check()


async def test_a_producer_thread_sends_while_the_consumer_iterates():
    leaks = NoLeaks()
    runner = live_runner()
    queue = LiveRequestQueue()
    answered = threading.Semaphore(0)
    failures: list[BaseException] = []

    def produce() -> None:
        try:
            for word in WORDS:
                queue.send_content(say(word))
                answered.acquire()  # wait for the echo, like a user would
            queue.close()
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    thread = threading.Thread(target=produce, name="live-test-producer")
    thread.start()
    finals: list[str] = []
    async with aclosing(
        runner.run_live(user_id="u", session_id="s", live_request_queue=queue)
    ) as events:
        async for event in events:
            if not event.partial:
                finals.append(event.content.text)
                answered.release()
    thread.join()
    assert failures == []
    assert finals == [f"echo: {word}" for word in WORDS]
    leaks.check()


async def test_run_async_waits_for_a_live_run_on_the_same_session():
    runner = live_runner()
    queue = LiveRequestQueue()
    queue.send_content(say("live first"))
    stream = runner.run_live(user_id="u", session_id="s", live_request_queue=queue)
    async with aclosing(stream):
        assert label(await anext(stream)) == "echo:live first[partial]"
        turn = asyncio.create_task(
            labels_of(runner.run_async(user_id="u", session_id="s", new_message=say("later")))
        )
        await settle()
        assert not turn.done()  # held off by the live run's session lock
        queue.send_content(say("live second"))
        await settle()
        assert not turn.done()
        queue.close()
        rest = await labels_of(stream)
    assert rest[-1] == "echo:echo: live second"
    assert await turn == ["echo:echo: later"]
    assert await stored(runner) == [
        "user:live first",
        "echo:echo: live first",
        "user:live second",
        "echo:echo: live second",
        "user:later",
        "echo:echo: later",
    ]


async def test_run_async_is_rejected_during_a_live_run_when_busy_sessions_reject():
    runner = live_runner(session_busy="reject")
    queue = LiveRequestQueue()
    queue.send_content(say("hi"))
    stream = runner.run_live(user_id="u", session_id="s", live_request_queue=queue)
    async with aclosing(stream):
        await anext(stream)
        with pytest.raises(SessionBusyError):
            await labels_of(runner.run_async(user_id="u", session_id="s", new_message=say("x")))
        # Another session is independent.
        assert await labels_of(
            runner.run_async(user_id="u", session_id="other", new_message=say("x"))
        ) == ["echo:echo: x"]
        queue.close()
        assert [label(e) async for e in stream] == ["echo:echo: hi"]
    assert await stored(runner) == ["user:hi", "echo:echo: hi"]


class Gated(BaseAgent):
    """run_async blocks until the gate opens; run_live echoes like LiveEcho."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        yield ctx.event("async started")
        await GATE[0].wait()
        yield ctx.event("async done")

    async def _run_live_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        async for request in ctx.live_request_queue:
            yield ctx.event(f"live got {request.content.text}")


GATE: list[asyncio.Event] = []


async def test_run_live_waits_for_a_run_async_on_the_same_session():
    GATE[:] = [asyncio.Event()]
    runner = live_runner(Gated(name="gated"))
    turn = runner.run_async(user_id="u", session_id="s", new_message=say("first"))
    async with aclosing(turn):
        assert label(await anext(turn)) == "gated:async started"
        queue = LiveRequestQueue()
        queue.send_content(say("hello"))
        queue.close()
        live = asyncio.create_task(
            labels_of(runner.run_live(user_id="u", session_id="s", live_request_queue=queue))
        )
        await settle()
        assert not live.done()
        GATE[0].set()
        assert [label(e) async for e in turn] == ["gated:async done"]
    assert await live == ["gated:live got hello"]
    assert await stored(runner) == [
        "user:first",
        "gated:async started",
        "gated:async done",
        "user:hello",
        "gated:live got hello",
    ]


async def test_one_queue_cannot_feed_two_live_runs_at_once():
    runner = live_runner()
    queue = LiveRequestQueue()
    queue.send_content(say("hi"))
    first = runner.run_live(user_id="u", session_id="s", live_request_queue=queue)
    async with aclosing(first):
        await anext(first)
        second = runner.run_live(user_id="u", session_id="s2", live_request_queue=queue)
        with pytest.raises(ValidationError, match="its own LiveRequestQueue"):
            await anext(second)
        assert not queue.closed  # the rejected call left the running one alone
        queue.send_content(say("still works"))
        queue.close()
        rest = await labels_of(first)
    assert rest[-1] == "echo:echo: still works"
