"""The chat prompt: line editing, history across runs, multi-line input, no escape codes stored."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from runners_cli.chat import Chat, RunOptions
from runners_cli.errors import CliState
from runners_cli.line_input import EditingReader, clean_text

from runners_core import BaseAgent, InMemoryRunner

LEFT, RIGHT, UP, HOME = "\x1b[D", "\x1b[C", "\x1b[A", "\x1b[H"
ALT_ENTER = "\x1b\r"


class Echo(BaseAgent):
    async def _run_async_impl(self, ctx):  # type: ignore[no-untyped-def]
        yield ctx.event("echo: " + ctx.user_content.text)


@pytest.fixture
def pipe() -> Iterator[object]:
    with create_pipe_input() as pipe_input:
        yield pipe_input


def reader(pipe_input: object, history: Path | None = None) -> EditingReader:
    return EditingReader(history, input=pipe_input, output=DummyOutput())


def test_arrow_keys_edit_the_line_instead_of_being_typed(pipe) -> None:
    pipe.send_text(f"helo{LEFT}l{RIGHT} world{HOME}> \r")
    assert reader(pipe).read() == "> hello world"


def test_alt_enter_starts_a_new_line_and_enter_sends(pipe) -> None:
    pipe.send_text(f"first line{ALT_ENTER}second line\r")
    assert reader(pipe).read() == "first line\nsecond line"


def test_history_is_kept_across_runs_in_the_file(tmp_path: Path) -> None:
    history = tmp_path / "project" / ".runners" / "chat-history"
    with create_pipe_input() as first:
        first.send_text("remember the milk\r")
        assert reader(first, history).read() == "remember the milk"
    assert history.stat().st_mode & 0o077 == 0  # only its owner reads what was typed
    with create_pipe_input() as second:  # a later run: Up brings the earlier message back
        second.send_text(f"{UP}!\r")
        assert reader(second, history).read() == "remember the milk!"


def test_stored_messages_never_contain_escape_codes(pipe) -> None:
    runner = InMemoryRunner(Echo(name="echo"), app_name="app")
    runner.auto_create_session = True
    options = RunOptions(agent="echo", session_id="s", user_id="u")
    # Arrows, a stray Escape, Ctrl-G and a function key, then Enter; then the end of input.
    pipe.send_text(f"h{LEFT}{RIGHT}i{UP}{UP}\x1b[15~\x07 there\r")
    with asyncio.Runner() as loop:
        chat = Chat(runner, options, "s", CliState(), reader=reader(pipe))
        pipe.close()
        assert chat.chat(loop) == 0
        session = loop.run(
            runner.session_service.get_session(app_name="app", user_id="u", session_id="s")
        )
        loop.run(runner.close())
    texts = [event.content.text for event in session.events]
    assert texts == ["hi there", "echo: hi there"]
    assert not any("\x1b" in text or "[D" in text for text in texts)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("hi\x1b[D\x1b[Cthere", "hithere"),  # CSI arrows, as a plain reader reads them
        ("a\x1bOAb", "ab"),  # SS3 arrows (application cursor mode)
        ("x\x1b]0;title\x07y", "xy"),  # an OSC string
        ("tab\tand\nnewline\r\n", "tab\tand\nnewline\n"),
        ("bell\x07 del\x7f c1\x9b2J", "bell del c1"),
        ("naïve ☕", "naïve ☕"),
    ],
)
def test_clean_text_removes_escapes_and_keeps_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
