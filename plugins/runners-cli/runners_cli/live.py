"""``runners run --live``: a live (bidirectional) run fed from stdin, one message per line.

A reader thread turns each line into ``send_content`` plus ``send_activity_end``
on the run's :class:`~runners_core.live.LiveRequestQueue` (whose ``send_*``
methods are thread-safe), so waiting for input never blocks the event loop
that streams the agent's events. End of input (Ctrl-D) or ``exit`` closes the
queue: the agent finishes and the run ends normally. Ctrl-C cancels the run
(its ``on_run_error`` hooks see it) and the command exits with 130.
"""

from __future__ import annotations

import codecs
import io
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from runners_cli.chat import EXIT_WORDS, Chat
from runners_cli.errors import CliError

if TYPE_CHECKING:
    from runners_core.agents.base_agent import BaseAgent
    from runners_core.live import LiveRequestQueue

READ_SIZE = 4096


def check_live_agent(agent: BaseAgent) -> None:
    """Refuse, before any backend is touched, a root agent that has no live mode."""
    from runners_core.agents.base_agent import BaseAgent

    if type(agent)._run_live_impl is BaseAgent._run_live_impl:
        raise CliError(
            f"agent {agent.name!r} ({type(agent).__name__}) does not support live runs: it "
            "does not implement _run_live_impl(ctx); run it without --live, or implement "
            "_run_live_impl reading from ctx.live_request_queue"
        )


def stdin_lines() -> Iterator[str]:
    """Lines from standard input as they arrive, without their line ending.

    Reads the file descriptor directly when there is one, so a thread blocked
    here holds no lock of ``sys.stdin`` that interpreter shutdown could need.
    """
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        yield from (line.rstrip("\r\n") for line in sys.stdin)  # e.g. typer's CliRunner
        return
    decoder = codecs.getincrementaldecoder(sys.stdin.encoding or "utf-8")(errors="replace")
    pending = ""
    while True:
        chunk = os.read(fd, READ_SIZE)
        pending += decoder.decode(chunk, final=not chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line.rstrip("\r")
        if not chunk:
            break
    if pending:
        yield pending


def feed(queue: LiveRequestQueue, lines: Iterator[str] | list[str]) -> None:
    """Send each non-blank line as one user turn; close the queue at the end or on ``exit``."""
    from runners_core.content import Content
    from runners_core.live import LiveRequestQueueClosedError

    try:
        for line in lines:
            text = line.strip()
            if not text:
                continue
            if text.lower() in EXIT_WORDS:
                break
            queue.send_content(Content.from_text(text))
            queue.send_activity_end()
    except LiveRequestQueueClosedError:
        return  # the run already ended; nobody is listening
    finally:
        queue.close()


class LiveChat(Chat):
    """The live variant of the chat: one ``run_live`` for the whole command."""

    cancelled = "the live run was cancelled"

    def start(self, loop: Any) -> int:
        self.announce(loop)
        if not self.options.json:
            self.note("live: one message per line; Ctrl-D or 'exit' to end, Ctrl-C to cancel")
        message = self.options.message
        loop.run(self.converse(stdin_lines if message is None else lambda: [message]))
        return 0

    async def converse(self, source: Callable[[], Iterator[str] | list[str]]) -> None:
        from runners_core.live import LiveRequestQueue

        queue = LiveRequestQueue()
        # A daemon thread: a read blocked on a terminal must not keep the process alive.
        reader = threading.Thread(
            target=lambda: feed(queue, source()), name="runners-live-stdin", daemon=True
        )
        stream = self.runner.run_live(
            user_id=self.options.user_id, session_id=self.session_id, live_request_queue=queue
        )
        self.session_exists = True  # auto-created by the runner from here on
        reader.start()
        try:
            async with aclosing(stream) as events:
                async for event in events:
                    self.emit_live(event)
        finally:
            queue.close()  # the run failed before it started: the reader stops at its next line

    def emit_live(self, event: Any) -> None:
        if event.partial and not self.options.json:
            self.renderer.render_partial(event)
        else:
            self.emit(event)
