"""One agent invocation driven by an HTTP request, in a task of its own.

The invocation runs in its own asyncio task, not in the request's: the request
side may be cancelled at any await (a client that disconnects, a server that
stops), while the invocation must end cleanly: ``on_run_error`` hooks fire, the
session lock is released, and what was stored stays. Cancelling the task gives
the runner one ``CancelledError`` to handle; the request side waits for it.

Before anything is streamed the task reports whether the invocation could
start (session busy, unknown session, bad input), so those become proper HTTP
statuses instead of errors inside a 200 stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from runners_core.agents.run_config import RunConfig, StreamingMode
from runners_core.identifiers import validate_id
from runners_core.runner import Runner
from runners_core.sessions.session import GetSessionConfig
from runners_server.requests import RunAgentRequest

_END = object()


@dataclass(frozen=True)
class BusyPolicy:
    """How long a request waits for a busy session (0: reject at once; None: forever)."""

    timeout: float | None

    @classmethod
    def choose(
        cls, req: RunAgentRequest, default_policy: str, default_timeout: float | None
    ) -> BusyPolicy:
        policy = req.session_busy or default_policy
        if policy == "reject":
            return cls(0)
        return cls(req.busy_timeout if req.busy_timeout is not None else default_timeout)


class Invocation:
    """Runs one request's invocation in its own task; events arrive on a queue."""

    def __init__(
        self,
        runner: Runner,
        req: RunAgentRequest,
        busy: BusyPolicy,
        *,
        streaming: bool,
    ) -> None:
        if req.invocation_id is not None:
            validate_id("invocation_id", req.invocation_id)
        self.runner = runner
        self.req = req
        self.busy = busy
        self.run_config = RunConfig(
            streaming_mode=StreamingMode.SSE if streaming else StreamingMode.NONE,
            custom_metadata=req.custom_metadata,
        )
        self.replayed = False
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._started: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Take the session and check it; raises what prevents the invocation from starting."""
        loop = asyncio.get_running_loop()
        self._started = loop.create_future()
        self._task = asyncio.create_task(self._main(), name=f"invocation {self.req.session_id}")
        try:
            await asyncio.shield(self._started)
        except asyncio.CancelledError:
            # The client left while we waited for the session: never run for nobody.
            self._task.cancel()
            raise

    async def events(self) -> AsyncIterator[Any]:
        """The agent's events as they come; an exception object if the invocation failed."""
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            yield item

    async def cancel(self) -> None:
        """Stop the invocation (if still running) and wait until it has ended cleanly."""
        task = self._task
        if task is None or task.done():
            return
        task.cancel()
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                # Our own caller was cancelled too: let the task finish on its own.
                raise

    async def _main(self) -> None:
        assert self._started is not None
        req, runner = self.req, self.runner
        try:
            async with runner.hold_session(
                user_id=req.user_id, session_id=req.session_id, timeout=self.busy.timeout
            ):
                stored = await self._load(req)
                self._started.set_result(None)
                if stored is not None:
                    self.replayed = True
                    for event in stored:
                        await self._queue.put(event)
                    return
                async with aclosing(
                    runner.run_async(
                        user_id=req.user_id,
                        session_id=req.session_id,
                        new_message=req.new_message,
                        state_delta=req.state_delta,
                        run_config=self.run_config,
                        invocation_id=req.invocation_id,
                    )
                ) as stream:
                    async for event in stream:
                        await self._queue.put(event)
        except asyncio.CancelledError:
            if not self._started.done():
                self._started.cancel()
            raise
        except Exception as exc:
            if not self._started.done():
                self._started.set_exception(exc)
            else:
                await self._queue.put(exc)
        finally:
            self._queue.put_nowait(_END)

    async def _load(self, req: RunAgentRequest) -> list[Any] | None:
        """Check the session exists; the stored agent events of a repeated invocation id."""
        runner = self.runner
        if req.invocation_id is None:
            session = await runner.session_service.get_session(
                app_name=runner.app_name,
                user_id=req.user_id,
                session_id=req.session_id,
                config=GetSessionConfig(num_recent_events=0),
            )
            if session is None:
                raise _missing(runner, req)
            return None
        session = await runner.session_service.get_session(
            app_name=runner.app_name, user_id=req.user_id, session_id=req.session_id
        )
        if session is None:
            raise _missing(runner, req)
        mine = [e for e in session.events if e.invocation_id == req.invocation_id]
        if not mine:
            return None
        return [e for e in mine if e.author != "user"]


def _missing(runner: Runner, req: RunAgentRequest) -> Exception:
    from runners_core.errors import SessionNotFoundError

    return SessionNotFoundError(
        runner.app_name,
        req.user_id,
        req.session_id,
        "create it first with POST /apps/{app}/users/{user}/sessions",
    )
