"""The worker thread behind every service: order, errors, cancellation, idle exit."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from runners_sqlite import worker as worker_module
from runners_sqlite.worker import Worker


async def test_calls_run_in_order_on_one_thread() -> None:
    worker = Worker("test")
    seen: list[tuple[int, str]] = []
    futures = [
        worker.submit(lambda n=n: seen.append((n, threading.current_thread().name)))
        for n in range(50)
    ]
    await asyncio.gather(*futures)
    assert [n for n, _ in seen] == list(range(50))
    assert {name for _, name in seen} == {"test"}


async def test_errors_reach_the_caller_and_the_worker_goes_on() -> None:
    worker = Worker("test")

    def boom() -> None:
        raise KeyError("nope")

    with pytest.raises(KeyError, match="nope"):
        await worker.submit(boom)
    assert await worker.submit(lambda: 42) == 42


async def test_a_cancelled_caller_does_not_stop_the_call_or_the_worker() -> None:
    worker = Worker("test")
    release = threading.Event()
    ran: list[str] = []

    def slow() -> None:
        release.wait(5)
        ran.append("slow")

    waiting = asyncio.ensure_future(worker.submit(slow))
    await asyncio.sleep(0)
    waiting.cancel()
    release.set()
    assert await worker.submit(lambda: "next") == "next"
    assert ran == ["slow"]  # queued work runs to the end; only its result is dropped


def test_callers_on_different_loops_and_a_closed_loop() -> None:
    worker = Worker("test")

    async def call(value: int) -> int:
        return await worker.submit(lambda: value)

    assert asyncio.run(call(1)) == 1
    results: list[int] = []
    thread = threading.Thread(target=lambda: results.append(asyncio.run(call(2))))
    thread.start()
    thread.join()
    assert results == [2]

    loop = asyncio.new_event_loop()
    gate = threading.Event()
    loop.run_until_complete(_submit_only(worker, gate))
    loop.close()  # the caller's loop is gone before the result comes back
    gate.set()
    assert asyncio.run(call(3)) == 3


async def _submit_only(worker: Worker, gate: threading.Event) -> None:
    worker.submit(lambda: gate.wait(5))


async def test_an_idle_worker_thread_exits_and_comes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker_module, "IDLE_SECONDS", 0.05)
    worker = Worker("idle-test")
    await worker.submit(lambda: None)
    deadline = time.monotonic() + 10
    while any(t.name == "idle-test" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the idle worker thread never exited"
        await asyncio.sleep(0.02)
    assert await worker.submit(lambda: "again") == "again"
