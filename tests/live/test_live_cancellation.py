"""Every way a live run ends: the caller stops, the queue closes, the agent raises, the
consumer is cancelled. Each closes the agent, fires after_run or on_run_error, closes the
queue, releases the session, and leaves no task or thread behind."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from dataclasses import dataclass, field

import pytest

from runners_core import InMemoryRunner, LiveRequestQueue
from runners_core.live import LiveRequestQueueClosedError
from tests.live.live_kit import (
    LiveEcho,
    NoLeaks,
    Recorder,
    label,
    labels_of,
    live_runner,
    run_all,
    say,
    stored,
)

ENDED_EARLY = ["started", "closed"]  # the agent's generator was closed from outside
ENDED_BY_CLOSE = ["started", "queue closed", "closed"]


@dataclass
class LiveRun:
    """A runner with a recording plugin, its agent and a fresh queue; leaks measured
    from the moment it is made."""

    options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.leaks = NoLeaks()
        self.agent = LiveEcho(name="echo")
        self.recorder = Recorder()
        self.runner: InMemoryRunner = live_runner(
            self.agent, plugins=[self.recorder], **self.options
        )
        self.queue = LiveRequestQueue()

    def stream(self):
        return self.runner.run_live(user_id="u", session_id="s", live_request_queue=self.queue)

    async def assert_ended(self, end: tuple[str, str], agent_log: list[str]) -> None:
        assert self.agent.log == agent_log
        assert self.recorder.ends() == [end]
        assert self.queue.closed
        # The session lock was released: a run could start at once.
        async with self.runner.session_service.lock_session(
            app_name=self.runner.app_name, user_id="u", session_id="s", timeout=0
        ):
            pass
        self.leaks.check()


async def test_caller_breaking_out_closes_the_agent_and_reports_an_error():
    run = LiveRun()
    run.queue.send_content(say("first"))
    run.queue.send_content(say("never read"))
    async with aclosing(run.stream()) as events:
        async for event in events:
            assert label(event) == "echo:first[partial]"
            break
    await run.assert_ended(("on_run_error", "GeneratorExit"), ENDED_EARLY)
    with pytest.raises(LiveRequestQueueClosedError):
        run.queue.send_content(say("too late"))  # a producer learns the run is over
    assert await stored(run.runner) == ["user:first"]


async def test_explicit_aclose_while_the_agent_waits_on_the_queue():
    run = LiveRun()
    run.queue.send_content(say("hi"))
    stream = run.stream()
    assert [label(await anext(stream)) for _ in range(2)] == ["echo:hi[partial]", "echo:echo: hi"]
    await stream.aclose()
    await run.assert_ended(("on_run_error", "GeneratorExit"), ENDED_EARLY)


async def test_queue_closed_before_the_run_ends_it_successfully():
    run = LiveRun()
    run.queue.send_content(say("hi"))
    run.queue.close()
    assert await labels_of(run.stream()) == ["echo:hi[partial]", "echo:echo: hi"]
    await run.assert_ended(("after_run", ""), ENDED_BY_CLOSE)


async def test_queue_closed_by_the_caller_mid_stream_ends_the_run_successfully():
    run = LiveRun()
    run.queue.send_content(say("hi"))
    labels = []
    async with aclosing(run.stream()) as events:
        async for event in events:
            labels.append(label(event))
            if not event.partial:
                run.queue.close()  # the agent is about to wait for more: it sees the close
    assert labels == ["echo:hi[partial]", "echo:echo: hi"]
    await run.assert_ended(("after_run", ""), ENDED_BY_CLOSE)


async def test_agent_raising_ends_the_run_with_its_error():
    run = LiveRun()
    for text in ("ok", "boom", "never read"):
        run.queue.send_content(say(text))
    seen = []
    with pytest.raises(RuntimeError, match="failed on 'boom'"):
        async for event in run.stream():
            seen.append(label(event))
    assert seen == ["echo:ok[partial]", "echo:echo: ok"]
    await run.assert_ended(("on_run_error", "RuntimeError"), ENDED_EARLY)
    # The message that made the agent fail was stored before the agent saw it.
    assert await stored(run.runner) == ["user:ok", "echo:echo: ok", "user:boom"]


async def test_cancelling_the_consumer_while_the_agent_waits():
    run = LiveRun()
    run.queue.send_content(say("hi"))
    answered = asyncio.Event()

    async def consume() -> None:
        async for event in run.stream():
            if not event.partial:
                answered.set()

    consumer = asyncio.create_task(consume())
    await answered.wait()
    await asyncio.sleep(0)  # the agent is now parked in queue.get()
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    await run.assert_ended(("on_run_error", "CancelledError"), ENDED_EARLY)


async def test_a_run_ended_by_the_caller_does_not_block_the_next_one():
    run = LiveRun({"session_busy": "reject"})
    run.queue.send_content(say("hi"))
    async with aclosing(run.stream()) as events:
        await anext(events)
    again = LiveRequestQueue()
    again.send_content(say("again"))
    again.close()
    events = await run_all(run.runner, again)
    assert [label(e) for e in events] == ["echo:again[partial]", "echo:echo: again"]
    assert run.agent.log == ENDED_EARLY + ENDED_BY_CLOSE
    assert run.recorder.ends() == [("on_run_error", "GeneratorExit"), ("after_run", "")]
