"""The queue that feeds a live (bidirectional) run: text, audio chunks, activity signals.

The caller sends into a :class:`LiveRequestQueue`; the live agent reads it with
``await ctx.live_request_queue.get()`` (or ``async for``). Sending is a plain,
non-blocking method that works from the run's event loop, from another thread,
and before any event loop exists; reading needs a running loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from runners_core.content import Blob, Content
from runners_core.errors import RunnersError, ValidationError
from runners_core.events import Event
from runners_core.wire import WireModel

LiveTap = Callable[["LiveRequest"], Awaitable["LiveRequest"]]


class ActivityStart(BaseModel):
    """The user started speaking or typing (carries no data, as in google-genai)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class ActivityEnd(BaseModel):
    """The user's turn ended (carries no data, as in google-genai)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


def _activity(marker: type[BaseModel]) -> Callable[[Any], Any]:
    # ``activity_start=True`` (this package's older spelling) still means "present".
    def coerce(value: Any) -> Any:
        if value is True:
            return marker()
        if value is False:
            return None
        return value

    return coerce


class LiveRequest(WireModel):
    """One message from the caller to a live agent, shaped as ADK's ``LiveRequest``.

    Exactly one of these is set: ``content`` (a complete user message, stored
    in the session by ``Runner.run_live``; ``partial=True`` marks an update that
    does not complete the turn), ``blob`` (a realtime chunk such as raw audio,
    never stored), ``activity_start``/``activity_end`` (the user's turn, when the
    client detects voice activity itself), ``audio_stream_end`` (flush cached
    audio) or ``close`` (end the conversation). ``state_delta`` may come alone or
    with any of them; ``Runner.run_live`` applies it to the session with a user
    event, whatever else the request carries.
    """

    content: Content | None = None
    blob: Blob | None = None
    activity_start: Annotated[ActivityStart | None, BeforeValidator(_activity(ActivityStart))] = (
        None
    )
    activity_end: Annotated[ActivityEnd | None, BeforeValidator(_activity(ActivityEnd))] = None
    audio_stream_end: bool = False
    close: bool = False
    partial: bool = False
    state_delta: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LiveRequest:
        given = [
            name
            for name, value in (
                ("content", self.content is not None),
                ("blob", self.blob is not None),
                ("activity_start", self.activity_start is not None),
                ("activity_end", self.activity_end is not None),
                ("audio_stream_end", self.audio_stream_end),
                ("close", self.close),
            )
            if value
        ]
        if len(given) > 1 or (not given and self.state_delta is None):
            raise ValueError(
                "a LiveRequest carries exactly one of content, blob, activity_start, "
                "activity_end, audio_stream_end, close (state_delta may come alone or "
                f"with any of them); got {', '.join(given) or 'none'}. Send them as "
                "separate requests"
            )
        if self.partial and self.content is None:
            raise ValueError("partial=True marks a partial content update; give content too")
        return self


class LiveRequestQueueClosedError(RunnersError):
    """A send on a queue that was already closed."""


class LiveRequestQueue:
    """A queue of :class:`LiveRequest` objects from the caller to a live agent.

    - ``send_*`` never block and are safe from any thread: a reader waiting in
      :meth:`get` on another thread's loop is woken with
      ``loop.call_soon_threadsafe``. A queue can be built and filled before any
      event loop exists.
    - Closing is sticky: after :meth:`close`, :meth:`get` returns what was sent
      before, then a ``close=True`` request on every call; sending raises
      :class:`LiveRequestQueueClosedError`.
    - ``Runner.run_live`` closes the queue when the run ends, however it ends,
      so a producer still sending learns that nobody is listening.
    - One queue feeds one ``run_live`` call at a time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: deque[LiveRequest] = deque()
        self._waiters: list[asyncio.Future[None]] = []
        self._closed = False
        self._tap: LiveTap | None = None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called (requests sent before may still be pending)."""
        return self._closed

    # ------------------------------------------------------------------ sending

    def send(self, request: LiveRequest) -> None:
        """Queue *request*; a ``close=True`` request closes the queue."""
        if not isinstance(request, LiveRequest):
            raise ValidationError(
                f"LiveRequestQueue.send takes a LiveRequest, got {type(request).__name__}; "
                "use send_content(...), send_realtime(...) or the other send_* methods"
            )
        with self._lock:
            if self._closed:
                raise LiveRequestQueueClosedError(
                    "this LiveRequestQueue is closed (its run_live ended or close() was "
                    "called); create a new queue and a new run_live call to keep talking "
                    "to the agent"
                )
            if request.close:
                self._closed = True
            else:
                self._pending.append(request)
            waiters, self._waiters = self._waiters, []
        _wake(waiters)

    def send_content(self, content: Content, partial: bool = False) -> None:
        """Send a user message (``run_live`` stores it as a user event).

        ``partial=True`` marks an update that does not complete the model's turn.
        """
        if not isinstance(content, Content):
            raise ValidationError(
                f"send_content takes a runners_core.Content, got {type(content).__name__}; "
                "build one with Content.from_text('...')"
            )
        self.send(LiveRequest(content=content, partial=partial))

    def send_realtime(self, blob: Blob) -> None:
        """Send a realtime chunk (e.g. raw audio); it reaches the agent but is never stored."""
        if not isinstance(blob, Blob):
            raise ValidationError(
                f"send_realtime takes a runners_core.Blob, got {type(blob).__name__}; "
                "build one with Blob(data=b'...', mime_type='audio/pcm')"
            )
        self.send(LiveRequest(blob=blob))

    def send_activity_start(self) -> None:
        """Signal that the user started speaking or typing."""
        self.send(LiveRequest(activity_start=ActivityStart()))

    def send_activity_end(self) -> None:
        """Signal that the user's turn ended."""
        self.send(LiveRequest(activity_end=ActivityEnd()))

    def send_audio_stream_end(self) -> None:
        """Signal that the audio stream paused (e.g. muted): the model flushes cached audio."""
        self.send(LiveRequest(audio_stream_end=True))

    def send_state_delta(self, state_delta: dict[str, Any]) -> None:
        """Apply *state_delta* to the session (stored as a user event) without a message."""
        self.send(LiveRequest(state_delta=state_delta))

    def close(self) -> None:
        """Close the queue; calling it again does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            waiters, self._waiters = self._waiters, []
        _wake(waiters)

    # ------------------------------------------------------------------ reading

    async def get(self) -> LiveRequest:
        """The next request, waiting for one; ``close=True`` once closed and drained."""
        request = await self._next()
        if self._tap is not None and not request.close:
            request = await self._tap(request)
        return request

    async def __aiter__(self) -> AsyncIterator[LiveRequest]:
        """Requests until the queue is closed (the close marker itself is not yielded)."""
        while True:
            request = await self.get()
            if request.close:
                return
            yield request

    async def _next(self) -> LiveRequest:
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                if self._pending:
                    return self._pending.popleft()
                if self._closed:
                    return LiveRequest(close=True)
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append(waiter)
            try:
                await waiter
            finally:
                # Cancelled while waiting: forget the waiter; nothing was taken yet.
                with self._lock:
                    if waiter in self._waiters:
                        self._waiters.remove(waiter)

    # ------------------------------------------------------------------ runner support

    def _attach(self, tap: LiveTap) -> None:
        """Route every request :meth:`get` returns through *tap* (``Runner.run_live`` only)."""
        with self._lock:
            if self._tap is not None:
                raise ValidationError(
                    "this LiveRequestQueue already feeds a running run_live call; give each "
                    "run_live call its own LiveRequestQueue"
                )
            self._tap = tap

    def _detach(self) -> None:
        with self._lock:
            self._tap = None


def is_audio_chunk(event: Event) -> bool:
    """True for an event whose content is only inline audio: a stream chunk, never stored."""
    parts = event.content.parts if event.content is not None else []
    return bool(parts) and all(
        part.inline_data is not None
        and (part.inline_data.mime_type or "").startswith("audio/")
        and part.text is None
        for part in parts
    )


def _wake(waiters: list[asyncio.Future[None]]) -> None:
    if not waiters:
        return
    try:
        current: Any = asyncio.get_running_loop()
    except RuntimeError:
        current = None
    for waiter in waiters:
        loop = waiter.get_loop()
        if loop is current:
            _set_done(waiter)
            continue
        try:
            loop.call_soon_threadsafe(_set_done, waiter)
        except RuntimeError:
            # That loop is closed; the request stays queued for the next reader.
            pass


def _set_done(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
