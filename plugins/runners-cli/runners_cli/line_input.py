"""Reading the chat's messages: an editing prompt on a terminal, plain lines otherwise.

On a terminal, prompt_toolkit gives line editing (arrows, Home/End, Ctrl-A/E/W...),
history across runs (Up/Down, kept per project in ``.runners/chat-history``) and
multi-line messages (Alt-Enter or Esc then Enter starts a new line; pasted text keeps
its lines). Piped input is read line by line as before, so scripts and tests see
exactly what they send.

Either way :func:`clean_text` removes terminal escape sequences and control
characters, so a stray arrow key read by a plain reader never reaches a session.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rich.console import Console

PROMPT = "you: "
CONTINUATION = "...  "

# CSI (arrows: ESC [ A), SS3 (ESC O A), OSC/DCS-like strings, other two-byte escapes,
# a lone ESC, and C0/C1 control characters except tab and newline.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1bO."
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[ -~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def clean_text(text: str) -> str:
    """*text* without terminal escape sequences or control characters (tabs and newlines stay)."""
    return _ESCAPES.sub("", text.replace("\r\n", "\n"))


class LineReader(Protocol):
    def read(self) -> str:
        """The next message; raises EOFError at the end, KeyboardInterrupt on Ctrl-C."""
        ...


class PlainReader:
    """One line at a time from stdin, echoed when piped so the transcript stays readable."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def read(self) -> str:
        from rich.text import Text

        text = self.console.input(Text(PROMPT, "bold green"))
        if not sys.stdin.isatty():
            self.console.print(Text(text), soft_wrap=True)
        return text


class EditingReader:
    """prompt_toolkit's prompt: line editing, history in *history_file*, multi-line input."""

    def __init__(self, history_file: Path | None, *, input: Any = None, output: Any = None) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, History, InMemoryHistory
        from prompt_toolkit.key_binding import KeyBindings
        from prompt_toolkit.styles import Style

        bindings = KeyBindings()

        @bindings.add("escape", "enter")  # Alt-Enter, or Esc then Enter
        def _newline(event: Any) -> None:
            event.current_buffer.insert_text("\n")

        history: History = InMemoryHistory()
        if history_file is not None and _prepare_history(history_file):
            history = FileHistory(str(history_file))
        self.session: Any = PromptSession(
            history=history,
            key_bindings=bindings,
            multiline=False,
            prompt_continuation=CONTINUATION,
            style=Style.from_dict({"prompt": "bold ansigreen"}),
            input=input,
            output=output if output is not None else _terminal_output(),
        )

    def read(self) -> str:
        return str(self.session.prompt([("class:prompt", PROMPT)]))


def _prepare_history(path: Path) -> bool:
    """Create the history file readable by its owner only; False if that cannot be done."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
    except OSError:
        return False  # e.g. a read-only project: edit without history
    return True


def _terminal_output() -> Any:
    from prompt_toolkit.output import create_output

    output = create_output(stdout=sys.stdout)
    # Cursor position requests are only for menus we do not show; a terminal (or a
    # test's pseudo-terminal) that does not answer them would get a warning line.
    if hasattr(output, "enable_cpr"):
        output.enable_cpr = False
    return output


def make_reader(console: Console, history_file: Path | None) -> LineReader:
    """The editing prompt when both ends are a terminal, else the plain reader."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        return EditingReader(history_file)
    return PlainReader(console)
