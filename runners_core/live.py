"""The queue that feeds a live (bidirectional) run: text, audio chunks, activity signals."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, ConfigDict

from runners_core.content import Blob, Content
from runners_core.errors import RunnersError


class LiveRequest(BaseModel):
    """One message from the caller to a live agent; normally exactly one field is set."""

    model_config = ConfigDict(extra="forbid")

    content: Content | None = None
    blob: Blob | None = None
    activity_start: bool = False
    activity_end: bool = False
    close: bool = False


class LiveRequestQueueClosedError(RunnersError):
    """A send on a queue that was already closed."""


class LiveRequestQueue:
    """An async queue of :class:`LiveRequest` objects; closing is sticky.

    After :meth:`close`, ``get`` drains what was sent before and then returns a
    request with ``close=True`` forever; sending raises
    :class:`LiveRequestQueueClosedError`.
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[LiveRequest] = asyncio.Queue()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def send(self, request: LiveRequest) -> None:
        if self._closed:
            raise LiveRequestQueueClosedError(
                "this LiveRequestQueue is closed; create a new queue (and a new run_live "
                "call) to keep talking to the agent"
            )
        if request.close:
            self.close()
            return
        self._queue.put_nowait(request)

    def send_content(self, content: Content) -> None:
        self.send(LiveRequest(content=content))

    def send_realtime(self, blob: Blob) -> None:
        self.send(LiveRequest(blob=blob))

    def send_activity_start(self) -> None:
        self.send(LiveRequest(activity_start=True))

    def send_activity_end(self) -> None:
        self.send(LiveRequest(activity_end=True))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put_nowait(LiveRequest(close=True))

    async def get(self) -> LiveRequest:
        request = await self._queue.get()
        if request.close:
            # Keep the close marker available to every later get().
            self._queue.put_nowait(request)
        return request
