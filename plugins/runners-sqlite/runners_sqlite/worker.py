"""A thread that runs functions one at a time for callers on any event loop.

Each call is queued with the caller's loop and future; the thread runs it and
settles the future with ``call_soon_threadsafe``. Nothing is tied to one loop, so
``Runner.run`` (which drives its own loop on a background thread), ``asyncio.run``
in another thread and the application's loop can share one service.

Cheaper than ``ThreadPoolExecutor`` plus ``wrap_future`` (no executor bookkeeping,
one hand-off each way), which matters when a call is a 30-microsecond SQLite
transaction. The thread exits after a while without work and starts again on
the next call, so a service that is dropped without ``close()`` does not keep a
thread (or itself) alive.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

IDLE_SECONDS = 5.0

# What to run, and how to hand its (result, error) back to whoever waits.
_Job = tuple[Callable[[], Any], Callable[[Any, BaseException | None], None]]


class Worker:
    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._mutex = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, function: Callable[[], T]) -> asyncio.Future[T]:
        """Queue *function*; the returned future (on the running loop) gets its outcome.

        Cancelling the future does not stop a call already queued: it runs to the end
        and its result is dropped.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(result: Any, error: BaseException | None) -> None:
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:
                pass  # the caller's loop is closed: nobody is waiting any more

        self._put((function, settle))
        return future

    def submit_threadsafe(self, function: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Queue *function* for a synchronous caller, which waits on the returned future.

        For short calls only (a loaded session reading its older events); never wait
        on it from a function already running on this worker.
        """
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def settle(result: Any, error: BaseException | None) -> None:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        self._put((function, settle))
        return future

    def _put(self, job: _Job) -> None:
        with self._mutex:
            self._jobs.put(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                function, settle = self._jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._mutex:  # submit() starts a new thread if it sees None
                    if self._jobs.empty():
                        self._thread = None
                        return
                continue
            try:
                outcome: tuple[Any, BaseException | None] = (function(), None)
            except BaseException as exc:
                outcome = (None, exc)
            settle(*outcome)
            del function, settle, outcome  # hold no references while idle


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # cancelled while the call ran
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
