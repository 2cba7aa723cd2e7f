"""The conversation of ``runners run``: options, announcing the session, turns, the ending.

:class:`Chat` is the plain variant; ``runners_cli.live.LiveChat`` extends it
for ``--live``. ``runners_cli.run`` picks one; neither imports ``run``.
"""

from __future__ import annotations

import asyncio
import sys
from contextlib import aclosing, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from runners_cli.errors import EXIT_ERROR, CliState, report_exception

if TYPE_CHECKING:
    from runners_cli.line_input import LineReader
    from runners_core.runner import Runner

EXIT_WORDS = frozenset({"exit", "quit", "/exit", "/quit", ":q"})


@dataclass
class RunOptions:
    agent: str
    message: str | None = None
    session_id: str | None = None
    user_id: str = "user"
    json: bool = False
    app_name: str | None = None
    session_service: str | None = None
    memory_service: str | None = None
    artifact_service: str | None = None
    history: int = 6
    live: bool = False
    history_file: Path | None = None  # the chat prompt's history (per project)


class Chat:
    """One command's conversation: announcing, turns, and the clean ending."""

    cancelled = "the turn was cancelled"

    def __init__(
        self,
        runner: Runner,
        options: RunOptions,
        session_id: str,
        state: CliState,
        reader: LineReader | None = None,
    ):
        from runners_cli.render import EventRenderer

        self.runner = runner
        self.options = options
        self.session_id = session_id
        self.state = state
        self.out = Console(highlight=False)
        self.err = Console(stderr=True, highlight=False)
        # Human output goes to stdout; in --json mode stdout carries only events.
        self.info = self.err if options.json else self.out
        self.renderer = EventRenderer(self.out)
        self.session_exists = False
        self.failed = False  # an error was reported: the closing note says so
        self._reader = reader

    # ------------------------------------------------------------------ output

    def note(self, message: str, style: str = "dim") -> None:
        self.info.print(Text(message, style), soft_wrap=True)

    def emit(self, event: Any) -> None:
        if self.options.json:
            sys.stdout.write(event.model_dump_json() + "\n")
            sys.stdout.flush()
        else:
            self.renderer.render(event)

    # ------------------------------------------------------------------ flow

    def start(self, loop: asyncio.Runner) -> int:
        self.announce(loop)
        if self.options.message is not None:
            loop.run(self.turn(self.options.message))
            return 0
        return self.chat(loop)

    def announce(self, loop: asyncio.Runner) -> None:
        from runners_core.sessions.session import GetSessionConfig

        session = loop.run(
            self.runner.session_service.get_session(
                app_name=self.runner.app_name,
                user_id=self.options.user_id,
                session_id=self.session_id,
                config=GetSessionConfig(num_recent_events=max(self.options.history, 0)),
            )
        )
        self.session_exists = session is not None
        where = f"app {self.runner.app_name}, user {self.options.user_id}"
        if session is None:
            self.note(f"session {self.session_id} (new; {where})")
            return
        self.note(f"session {self.session_id} (resumed; {where})")
        if session.events and not self.options.json:
            self.note("earlier in this session:")
            for event in session.events:
                self.renderer.render(event, dim=True)
            self.note("─" * 3)

    async def turn(self, text: str) -> None:
        from runners_core.content import Content

        status = (
            nullcontext()
            if self.options.json
            else self.out.status(f"{self.runner.agent.name} is working…", spinner="dots")
        )
        with status:
            stream = self.runner.run_async(
                user_id=self.options.user_id,
                session_id=self.session_id,
                new_message=Content.from_text(text),
            )
            self.session_exists = True  # auto-created by the runner from here on
            async with aclosing(stream) as events:
                async for event in events:
                    self.emit(event)

    def chat(self, loop: asyncio.Runner) -> int:
        if not self.options.json:
            newline = " (Alt-Enter: new line)" if sys.stdin.isatty() else ""
            self.note(f"type a message{newline}; 'exit', Ctrl-D or Ctrl-C to stop")
        while True:
            try:
                text = self.read()
            except (EOFError, KeyboardInterrupt):
                if self.out.is_terminal and not self.options.json:
                    self.out.print()
                return 0
            if text is None:
                return 0
            text = text.strip()
            if not text:
                continue
            if text.lower() in EXIT_WORDS:
                return 0
            try:
                loop.run(self.turn(text))
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                report_exception(exc, self.state)

    def read(self) -> str | None:
        """The next message, free of escape codes; None at the end of input."""
        from runners_cli.line_input import clean_text, make_reader

        if self.options.json:
            line = sys.stdin.readline()
            return None if line == "" else clean_text(line)
        if self._reader is None:
            self._reader = make_reader(self.out, self.options.history_file)
        return clean_text(self._reader.read())

    def finish(self, loop: asyncio.Runner) -> int:
        """Close the session (so it reaches the memory service) and the runner."""
        from runners_core.errors import SessionNotFoundError

        code = 0
        try:
            if self.session_exists:
                loop.run(
                    self.runner.close_session(
                        user_id=self.options.user_id, session_id=self.session_id
                    )
                )
        except SessionNotFoundError:
            self.session_exists = False  # the first turn failed before creating it
        except Exception as exc:
            report_exception(exc, self.state)
            self.failed = True
            code = EXIT_ERROR
        try:
            loop.run(self.runner.close())
        except Exception as exc:
            report_exception(exc, self.state)
            self.failed = True
            code = EXIT_ERROR
        if self.session_exists:
            saved = "saved with what was stored before the error" if self.failed else "saved"
            self.note(
                f"session {self.session_id} {saved}; continue it with --session {self.session_id}"
            )
        return code
