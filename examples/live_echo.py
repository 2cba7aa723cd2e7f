"""A live agent: echoes text chunks back as they arrive and summarises each turn.

Run it from the repository root::

    .venv/bin/python examples/live_echo.py

The caller sends text chunks (and, optionally, raw audio) into a
``LiveRequestQueue`` while ``Runner.run_live`` streams the agent's events back.
Each chunk is echoed at once as a partial event (shown, never stored); when
the user's turn ends (``send_activity_end``) the agent sends one final summary
event with ``turn_complete=True``, which is stored with the user's messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing

from runners_core import (
    BaseAgent,
    Blob,
    Content,
    Event,
    InMemoryRunner,
    InvocationContext,
    LiveRequestQueue,
)

TURNS: tuple[tuple[str, ...], ...] = (("hello", "there"), ("how", "are", "you", "today"))


class LiveEchoAgent(BaseAgent):
    """Echoes every text chunk as a partial event; summarises the turn when it ends."""

    async def _run_live_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        queue = ctx.live_request_queue
        if queue is None:
            raise RuntimeError("LiveEchoAgent is a live agent: run it with Runner.run_live")
        chunks: list[str] = []
        audio_bytes = 0
        async for request in queue:  # ends when the queue closes
            if request.content is not None:
                chunks.append(request.content.text)
                yield ctx.event(request.content.text, partial=True)
            elif request.blob is not None:
                audio_bytes += len(request.blob.data)
            elif request.activity_end:
                yield ctx.event(summarise(chunks, audio_bytes), turn_complete=True)
                chunks, audio_bytes = [], 0
        if chunks or audio_bytes:  # the queue closed mid-turn: close that turn too
            yield ctx.event(summarise(chunks, audio_bytes), turn_complete=True)


def summarise(chunks: Sequence[str], audio_bytes: int = 0) -> str:
    summary = f"heard {len(chunks)} chunk(s): {' '.join(chunks)}"
    if audio_bytes:
        summary += f" (+{audio_bytes} bytes of audio)"
    return summary


async def speak(
    queue: LiveRequestQueue, turns: Sequence[Sequence[str]] = TURNS, pace: float = 0.02
) -> None:
    """Play the user's side: each turn's chunks a little apart, then end the turn."""
    for turn in turns:
        queue.send_activity_start()
        for chunk in turn:
            queue.send_content(Content.from_text(chunk))
            await asyncio.sleep(pace)  # a person typing; lets the echoes interleave
        queue.send_realtime(Blob(data=b"\x00\x01" * 80, mime_type="audio/pcm;rate=16000"))
        queue.send_activity_end()
    queue.close()


async def converse(
    runner: InMemoryRunner,
    *,
    user_id: str = "demo-user",
    session_id: str = "demo-session",
    turns: Sequence[Sequence[str]] = TURNS,
    pace: float = 0.02,
) -> list[Event]:
    """Drive one live conversation; returns the events the caller saw."""
    queue = LiveRequestQueue()
    producer = asyncio.create_task(speak(queue, turns, pace))
    seen: list[Event] = []
    try:
        async with aclosing(
            runner.run_live(user_id=user_id, session_id=session_id, live_request_queue=queue)
        ) as events:
            async for event in events:
                seen.append(event)
                text = event.content.text if event.content else ""
                print(f"  ... {text}" if event.partial else f"{event.author}: {text}")
    finally:
        # run_live closed the queue when it ended; a producer still sending stops there.
        await asyncio.gather(producer, return_exceptions=True)
    return seen


# For `runners run examples/live_echo.py:root_agent --live`.
root_agent = LiveEchoAgent(name="live_echo")


async def demo() -> None:
    runner = InMemoryRunner(
        LiveEchoAgent(name="live_echo"), app_name="live_echo", auto_create_session=True
    )
    async with runner:
        await converse(runner)
        session = await runner.session_service.get_session(
            app_name="live_echo", user_id="demo-user", session_id="demo-session"
        )
        assert session is not None
        print(f"\nstored {len(session.events)} events (partial echoes are not stored):")
        for event in session.events:
            print(f"  {event.author}: {event.content.text if event.content else ''}")


def main() -> None:
    asyncio.run(demo())


if __name__ == "__main__":
    main()
