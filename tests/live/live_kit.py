"""Agents, a hook recorder and leak checks shared by the live tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator

from pydantic import Field

from runners_core import (
    BaseAgent,
    Content,
    Event,
    InMemoryRunner,
    InvocationContext,
    LiveRequestQueue,
    Part,
    Runner,
    hookimpl,
)

APP = "live"


class LiveEcho(BaseAgent):
    """Answers each live request; records its own lifecycle in ``log``.

    content "boom" raises; other content gets a partial chunk then a final
    "echo: ..." event; a blob is echoed as an audio-only event; activity_start
    is answered with an ``interrupted`` partial event, activity_end with a
    ``turn_complete`` event. ``run_async`` answers "echo: <message>".
    """

    log: list[str] = Field(default_factory=list)

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        text = ctx.user_content.text if ctx.user_content else ""
        yield ctx.event(f"echo: {text}")

    async def _run_live_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        assert ctx.live_request_queue is not None
        self.log.append("started")
        try:
            async for request in ctx.live_request_queue:
                if request.content is not None:
                    text = request.content.text
                    if text == "boom":
                        raise RuntimeError("the agent failed on 'boom'")
                    yield ctx.event(text, partial=True)
                    yield ctx.event(f"echo: {text}")
                elif request.blob is not None:
                    part = Part(inline_data=request.blob)
                    yield ctx.event(content=Content(role="model", parts=[part]))
                elif request.activity_start:
                    yield ctx.event(interrupted=True, partial=True)
                elif request.activity_end:
                    yield ctx.event(turn_complete=True)
            self.log.append("queue closed")
        finally:
            self.log.append("closed")


class Recorder:
    """A plugin recording every invocation hook call as (hook, detail)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    @hookimpl
    def on_user_message(self, message: Content) -> None:
        self.calls.append(("on_user_message", message.text))

    @hookimpl
    def before_run(self) -> None:
        self.calls.append(("before_run", ""))

    @hookimpl
    def on_event(self, event: Event) -> None:
        self.calls.append(("on_event", label(event)))

    @hookimpl
    def before_append_event(self, event: Event) -> None:
        self.calls.append(("before_append_event", label(event)))

    @hookimpl
    def after_append_event(self, event: Event) -> None:
        self.calls.append(("after_append_event", label(event)))

    @hookimpl
    def after_run(self) -> None:
        self.calls.append(("after_run", ""))

    @hookimpl
    def on_run_error(self, error: BaseException) -> None:
        self.calls.append(("on_run_error", type(error).__name__))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def ends(self) -> list[tuple[str, str]]:
        return [call for call in self.calls if call[0] in ("after_run", "on_run_error")]


def label(event: Event) -> str:
    """A short description of an event: author, text and flags."""
    text = event.content.text if event.content else ""
    if event.content and not text and any(p.inline_data for p in event.content.parts):
        text = "<audio>"
    flags = [name for name in ("partial", "turn_complete", "interrupted") if getattr(event, name)]
    return f"{event.author}:{text}" + "".join(f"[{flag}]" for flag in flags)


def say(text: str) -> Content:
    return Content.from_text(text)


async def run_all(runner: Runner, queue: LiveRequestQueue, **options: object) -> list[Event]:
    """Every event of a live run on session ("u", "s")."""
    stream = runner.run_live(user_id="u", session_id="s", live_request_queue=queue, **options)  # type: ignore[arg-type]
    return [event async for event in stream]


async def labels_of(stream: AsyncGenerator[Event, None]) -> list[str]:
    return [label(event) async for event in stream]


def live_runner(agent: BaseAgent | None = None, **options: object) -> InMemoryRunner:
    options.setdefault("auto_create_session", True)
    return InMemoryRunner(agent or LiveEcho(name="echo"), app_name=APP, **options)  # type: ignore[arg-type]


async def stored(runner: Runner, session_id: str = "s", user_id: str = "u") -> list[str]:
    """Labels of the events stored in the session, read back from the service."""
    session = await runner.session_service.get_session(
        app_name=runner.app_name, user_id=user_id, session_id=session_id
    )
    assert session is not None
    return [label(event) for event in session.events]


class NoLeaks:
    """Snapshot of tasks and threads; :meth:`check` fails on any new one."""

    def __init__(self) -> None:
        self.tasks = set(asyncio.all_tasks())
        self.threads = set(threading.enumerate())

    def check(self) -> None:
        new_tasks = set(asyncio.all_tasks()) - self.tasks
        assert not new_tasks, f"tasks left running: {new_tasks}"
        new_threads = set(threading.enumerate()) - self.threads
        assert not new_threads, f"threads left running: {new_threads}"
