"""``runners run --live``: a live run of examples/live_echo.py fed from piped stdin, its
streamed and JSON output, what the session stores, and the error for a non-live agent."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import (
    ASSISTANT,
    REPO,
    json_lines,
    one_line_error,
    require_sqlite,
    run_cli,
    write_module,
)

from runners_core import Event

NO_PLUGINS = {"RUNNERS_CORE_PLUGINS": ""}  # memory:// backends, whatever is installed
LINES = "hello\nthere\n\nhow are you\n"  # the blank line is skipped


def live_echo(folder: Path) -> str:
    """An AGENT reference to examples/live_echo.py's agent (the example has no root_agent)."""
    write_module(
        folder,
        "live_agent.py",
        f"""
        import sys

        sys.path.insert(0, {str(REPO / "examples")!r})
        from live_echo import LiveEchoAgent

        root_agent = LiveEchoAgent(name="live_echo")
        """,
    )
    return "live_agent.py:root_agent"


def test_each_line_is_echoed_as_it_streams_then_summarised(isolated: Path) -> None:
    result = run_cli("run", live_echo(isolated), "--live", "-s", "l1", cwd=isolated, input=LINES)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    expected = [
        "live_echo … hello",
        "live_echo: heard 1 chunk(s): hello",
        "live_echo … there",
        "live_echo: heard 1 chunk(s): there",
        "live_echo … how are you",
        "live_echo: heard 1 chunk(s): how are you",
    ]
    assert [line for line in out if line.startswith("live_echo")] == expected
    assert "continue it with --session l1" in result.stdout
    assert "Traceback" not in result.stderr


def test_json_lines_are_events_and_the_echoes_are_marked_partial(isolated: Path) -> None:
    result = run_cli(
        "run", live_echo(isolated), "--live", "-s", "j1", "--json", cwd=isolated, input=LINES
    )
    assert result.returncode == 0, result.stderr
    events = [Event.model_validate(line) for line in json_lines(result.stdout)]
    assert [(e.partial, e.content.text if e.content else None) for e in events] == [
        (True, "hello"),
        (None, "heard 1 chunk(s): hello"),
        (True, "there"),
        (None, "heard 1 chunk(s): there"),
        (True, "how are you"),
        (None, "heard 1 chunk(s): how are you"),
    ]
    assert all(e.turn_complete for e in events if not e.partial)
    assert len({e.invocation_id for e in events}) == 1  # one live run for the whole input
    assert "session j1" in result.stderr and "session j1" not in result.stdout


def test_the_lines_and_summaries_are_stored_and_the_session_continues(isolated: Path) -> None:
    require_sqlite()  # the default backend the two runs and `sessions show` share
    agent = live_echo(isolated)
    first = run_cli("run", agent, "--live", "-s", "kept", cwd=isolated, input="hello\nthere\n")
    assert first.returncode == 0, first.stderr
    second = run_cli("run", agent, "--live", "-s", "kept", cwd=isolated, input="again\nexit\nno\n")
    assert second.returncode == 0, second.stderr
    assert "session kept (resumed" in second.stdout
    assert "heard 1 chunk(s): no" not in second.stdout  # 'exit' ended the input

    shown = run_cli("sessions", "show", "kept", "--app", "live_echo", "--json", cwd=isolated)
    assert shown.returncode == 0, shown.stderr
    events = [Event.model_validate(e) for e in json.loads(shown.stdout)["events"]]
    assert [(e.author, e.content.text if e.content else None) for e in events] == [
        ("user", "hello"),
        ("live_echo", "heard 1 chunk(s): hello"),
        ("user", "there"),
        ("live_echo", "heard 1 chunk(s): there"),
        ("user", "again"),
        ("live_echo", "heard 1 chunk(s): again"),
    ]  # the partial echoes are never stored


def test_one_message_with_m_is_one_live_turn(isolated: Path) -> None:
    result = run_cli(
        "run", live_echo(isolated), "--live", "-m", "just this", cwd=isolated, env=NO_PLUGINS
    )
    assert result.returncode == 0, result.stderr
    assert "live_echo … just this" in result.stdout
    assert "live_echo: heard 1 chunk(s): just this" in result.stdout


def test_an_agent_without_a_live_mode_is_one_line_naming_the_fix(isolated: Path) -> None:
    result = run_cli("run", ASSISTANT, "--live", "-s", "x", cwd=isolated, input="hello\n")
    assert result.returncode == 1
    error = one_line_error(result.stderr)
    assert "'assistant' (Assistant) does not support live runs" in error
    assert "run it without --live, or implement _run_live_impl" in error
    assert result.stdout == ""  # refused before any backend or session was touched
    assert not (isolated / ".runners").exists()  # the embedded stores were never opened
