"""``runners run``: one turn, JSON output, chat through piped stdin and a pseudo-terminal,
sessions that continue across runs, and one-line errors for bad input."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest
from cli_helpers import (
    ASSISTANT,
    RUNNERS,
    Invoke,
    json_lines,
    one_line_error,
    require_sqlite,
    run_cli,
    subprocess_env,
    write_module,
)

from runners_core import Event

NO_PLUGINS = {"RUNNERS_CORE_PLUGINS": ""}  # memory:// backends, whatever is installed


def test_one_message_prints_the_reply_state_and_session(cli: Invoke) -> None:
    result = cli("run", ASSISTANT, "-m", "hello", "--session", "demo", env=NO_PLUGINS)
    assert result.exit_code == 0, result.output
    assert "session demo (new; app assistant, user user)" in result.stdout
    assert "assistant: Hello! This is turn 1 of session demo" in result.stdout
    assert "state: turns = 1, user:turns = 1, app:turns = 1" in result.stdout
    assert "continue it with --session demo" in result.stdout
    # Nothing configured and no SQLite plugin enabled: memory, said on stderr.
    assert "warning:" in result.stderr and "in memory" in result.stderr


def test_json_mode_prints_one_event_per_line_and_the_session_on_stderr(cli: Invoke) -> None:
    result = cli("run", ASSISTANT, "-m", "note buy milk", "-s", "j1", "--json", env=NO_PLUGINS)
    assert result.exit_code == 0, result.output
    events = [Event.model_validate(line) for line in json_lines(result.stdout)]
    assert [e.author for e in events] == ["assistant", "notetaker"]
    assert events[0].actions.transfer_to_agent == "notetaker"
    assert events[1].actions.artifact_delta == {"notes.md": 0}
    assert events[1].content is not None and "buy milk" in events[1].content.text
    assert "session j1" in result.stderr and "session j1" not in result.stdout


def test_without_session_a_new_id_is_generated_and_printed(cli: Invoke) -> None:
    result = cli("run", ASSISTANT, "-m", "hi", env=NO_PLUGINS)
    assert result.exit_code == 0, result.output
    match = re.search(r"continue it with --session (\S+)", result.stdout)
    assert match and re.fullmatch(r"[0-9a-f]{12}", match.group(1))


def test_a_chat_reads_messages_until_exit(cli: Invoke) -> None:
    result = cli(
        "run", ASSISTANT, "-s", "c1", input="hello\n\nstate\nexit\nhello\n", env=NO_PLUGINS
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.count("assistant: ") == 2  # "exit" ended it before the last hello
    assert "State: app:turns=2, turns=2, user:turns=2" in result.stdout


def test_a_package_module_reference_and_an_agent_factory(cli: Invoke, isolated: Path) -> None:
    write_module(isolated, "mypkg/__init__.py", "")
    write_module(
        isolated,
        "mypkg/agents.py",
        """
        from runners_core import BaseAgent

        class Shout(BaseAgent):
            async def _run_async_impl(self, ctx):
                yield ctx.event(ctx.user_content.text.upper())

        def make():
            return Shout(name="shout")
        """,
    )
    result = cli("run", "mypkg.agents:make", "-m", "quiet please", env=NO_PLUGINS)
    assert result.exit_code == 0, result.output
    assert "shout: QUIET PLEASE" in result.stdout


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["nowhere/agent.py:root_agent"], "agent file nowhere/agent.py does not exist"),
        ([ASSISTANT.replace(":root_agent", ":missing")], "has no attribute 'missing'"),
        ([ASSISTANT.replace(":root_agent", ":missing")], "agents it defines: root_agent"),
        ([ASSISTANT.replace(":root_agent", ":HELP")], "is a str, not a runners_core.BaseAgent"),
        ([ASSISTANT.replace(":root_agent", ":Assistant")], "is the class Assistant"),
        (["no_such_package.agents:root_agent"], "no module named 'no_such_package'"),
        ([ASSISTANT, "--session", "bad id"], "session_id 'bad id' is not a valid identifier"),
        ([ASSISTANT, "--session-service", "nosuch://x"], "no installed plugin provides"),
        ([ASSISTANT, "--session-service", "sqlite-typo"], "has no scheme"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_a_nonzero_exit(
    cli: Invoke, args: list[str], expected: str
) -> None:
    result = cli("run", *args, "-m", "hi", env=NO_PLUGINS)
    assert result.exit_code != 0
    assert expected in one_line_error(result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_config_error_names_the_setting_and_the_fix(cli: Invoke, isolated: Path) -> None:
    (isolated / "pyproject.toml").write_text('[tool.runners_core]\nsesion_service = "memory://"\n')
    result = cli("run", ASSISTANT, "-m", "hi")
    assert result.exit_code == 1
    line = one_line_error(result.stderr)
    assert "unknown setting 'sesion_service'" in line and "did you mean 'session_service'" in line


def test_an_agent_that_fails_to_import_shows_a_traceback_only_with_debug(
    cli: Invoke, isolated: Path
) -> None:
    write_module(isolated, "broken.py", "raise RuntimeError('boom at import')\n")
    result = cli("run", "broken.py", "-m", "hi", env=NO_PLUGINS)
    assert result.exit_code == 1
    assert "importing broken.py failed: RuntimeError: boom at import" in one_line_error(
        result.stderr
    )
    debug = cli("run", "broken.py", "-m", "hi", "--debug", env=NO_PLUGINS)
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr and "boom at import" in debug.stderr


def test_an_agent_failing_in_a_turn_is_one_line_and_exit_1(cli: Invoke, isolated: Path) -> None:
    write_module(
        isolated,
        "failing.py",
        """
        from runners_core import BaseAgent

        class Failing(BaseAgent):
            async def _run_async_impl(self, ctx):
                raise ValueError("the agent broke")
                yield

        root_agent = Failing(name="failing")
        """,
    )
    result = cli("run", "failing.py", "-m", "hi", "-s", "f1", env=NO_PLUGINS)
    assert result.exit_code == 1
    line = one_line_error(result.stderr)
    assert "ValueError: the agent broke" in line and "--debug" in line


def test_a_failed_turn_in_a_chat_is_reported_and_the_chat_goes_on(
    cli: Invoke, isolated: Path
) -> None:
    write_module(
        isolated,
        "moody.py",
        """
        from runners_core import BaseAgent

        class Moody(BaseAgent):
            async def _run_async_impl(self, ctx):
                if ctx.user_content.text == "boom":
                    raise RuntimeError("not today")
                yield ctx.event("fine: " + ctx.user_content.text)

        root_agent = Moody(name="moody")
        """,
    )
    result = cli("run", "moody.py", "-s", "m1", input="boom\nhello\n", env=NO_PLUGINS)
    assert result.exit_code == 0, result.output
    assert "RuntimeError: not today" in one_line_error(result.stderr)
    assert "moody: fine: hello" in result.stdout


def test_an_unreachable_backend_is_one_line_without_the_password(cli: Invoke) -> None:
    url = "redis://:hunter2@127.0.0.1:9/0"  # port 9 (discard): nothing listens
    result = cli("run", ASSISTANT, "-m", "hi", "--session-service", url)
    assert result.exit_code != 0
    line = one_line_error(result.stderr)
    assert "hunter2" not in result.stderr + result.stdout
    assert "127.0.0.1" in line or "redis" in line


# ---------------------------------------------------------------------------- subprocess


def test_chat_through_piped_stdin_exercises_the_example(isolated: Path) -> None:
    script = "hello\nnote buy oat milk\nnotes\nhello\n"
    result = run_cli("run", ASSISTANT, "--session", "pipe", cwd=isolated, input=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "assistant: Hello! This is turn 1 of session pipe" in out
    assert "→ transfer to notetaker" in out
    assert "notetaker: Noted: 'buy oat milk'" in out
    assert "artifact saved: notes.md (version 0)" in out
    # The next turn starts with the notetaker (it spoke last); it hands "notes" back.
    assert "→ transfer to assistant" in out
    assert "- buy oat milk" in out
    assert "Welcome back! This is turn 4 of session pipe" in out
    assert "Traceback" not in result.stderr


def test_ctrl_c_during_a_turn_cancels_it_and_exits_130(isolated: Path) -> None:
    write_module(
        isolated,
        "slow.py",
        """
        import asyncio
        from pathlib import Path
        from runners_core import BaseAgent

        class Slow(BaseAgent):
            async def _run_async_impl(self, ctx):
                Path("started").write_text("yes")
                await asyncio.sleep(120)
                yield ctx.event("too late")

        root_agent = Slow(name="slow")
        """,
    )
    proc = subprocess.Popen(
        [str(RUNNERS), "run", "slow.py", "-m", "hi", "-s", "slow1"],
        cwd=isolated,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (isolated / "started").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the agent never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert "too late" not in stdout


def test_the_readme_command_persists_the_session_and_continues_it(isolated: Path) -> None:
    require_sqlite()
    first = run_cli("run", ASSISTANT, "-m", "hello", "--session", "demo", cwd=isolated)
    assert first.returncode == 0, first.stderr
    assert "session demo (new" in first.stdout
    assert "Hello! This is turn 1 of session demo" in first.stdout
    assert (isolated / ".runners" / "sessions.db").exists()
    assert "warning" not in first.stderr

    second = run_cli("run", ASSISTANT, "-m", "hello", "--session", "demo", cwd=isolated)
    assert second.returncode == 0, second.stderr
    assert "session demo (resumed" in second.stdout
    assert "earlier in this session:" in second.stdout
    assert "you: hello" in second.stdout  # the first run's turn, shown again
    assert "Welcome back! This is turn 2 of session demo" in second.stdout
    assert "state: turns = 2, user:turns = 2, app:turns = 2" in second.stdout


def test_memory_search_finds_what_was_said_in_an_earlier_session(isolated: Path) -> None:
    require_sqlite()
    note = run_cli(
        "run", ASSISTANT, "-m", "note the wifi code is 7thunder", "-s", "a", cwd=isolated
    )
    assert note.returncode == 0, note.stderr
    recall = run_cli("run", ASSISTANT, "-m", "recall wifi", "-s", "b", cwd=isolated)
    assert recall.returncode == 0, recall.stderr
    assert "From your earlier sessions, about 'wifi':" in recall.stdout
    assert "- note the wifi code is 7thunder" in recall.stdout
    # The user's turn counter is shared by both sessions; the session counter is not.
    assert "state: turns = 1, user:turns = 2, app:turns = 2" in recall.stdout


# ---------------------------------------------------------------------------- pseudo-terminal

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


class Terminal:
    """The command on a pseudo-terminal, as a person at a keyboard sees it."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = subprocess_env({"TERM": "xterm", "COLUMNS": "120", "LINES": "40"})
        self.pid, self.fd = os.forkpty()
        if self.pid == 0:  # child: the pty is its controlling terminal
            os.chdir(cwd)
            os.execve(str(RUNNERS), [str(RUNNERS), *args], env)
        self.output = ""

    def expect(self, pattern: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = ANSI.sub("", self.output)
            if re.search(pattern, text):
                return text
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"never saw {pattern!r}; screen so far:\n{text}"
            ready, _, _ = select.select([self.fd], [], [], min(remaining, 1.0))
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    assert re.search(pattern, ANSI.sub("", self.output)), self.output
                    return ANSI.sub("", self.output)
                self.output += chunk.decode("utf-8", "replace")

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                if ready:
                    self.output += os.read(self.fd, 4096).decode("utf-8", "replace")
            except OSError:
                time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError(f"the command did not exit; screen:\n{self.output}")


@pytest.mark.parametrize(("key", "name"), [("\x04", "Ctrl-D"), ("\x03", "Ctrl-C")])
def test_a_chat_on_a_terminal_ends_cleanly(isolated: Path, key: str, name: str) -> None:
    term = Terminal(["run", ASSISTANT, "--session", "tty"], isolated)
    term.expect(r"you: $")
    term.send("hello\r")
    term.expect(r"Hello! This is turn 1 of session tty")
    term.expect(r"you: $")
    term.send("note call mum\r")
    term.expect(r"notes\.md is now at version 0")
    term.expect(r"you: $")
    term.send(key)
    screen = term.expect(r"session tty saved")
    assert term.wait() == 0, f"{name}: {screen}"
    assert "Traceback" not in term.output


def test_history_shows_the_last_six_events_by_default_and_history_n_sets_it(
    cli: Invoke, isolated: Path
) -> None:
    url = f"sqlite:///{isolated / 'h.db'}"
    backends = ["--session-service", url, "--memory-service", "memory://"]
    backends += ["--artifact-service", "memory://"]
    for index in range(4):
        done = cli("run", ASSISTANT, "-m", f"hello {index}", "--session", "h", *backends)
        assert done.exit_code == 0, done.output
    shown = cli("run", ASSISTANT, "-m", "again", "--session", "h", *backends).stdout
    earlier = shown.split("earlier in this session:", 1)[1].split("you: again", 1)[0]
    assert [f"you: hello {i}" in earlier for i in range(4)] == [False, True, True, True]
    two = cli("run", ASSISTANT, "-m", "more", "--session", "h", "--history", "2", *backends)
    earlier = two.stdout.split("earlier in this session:", 1)[1].split("you: more", 1)[0]
    assert "you: again" in earlier and "hello 3" not in earlier


def test_version_prints_the_runners_core_version(cli: Invoke) -> None:
    from runners_core import __version__

    done = cli("--version")
    assert done.exit_code == 0 and __version__ in done.stdout


def test_a_session_closed_twice_is_remembered_once(cli: Invoke, isolated: Path) -> None:
    """cli.md: the command adds the session to memory when it ends; adding is idempotent."""
    import asyncio

    from runners_core import memory_service_from_url

    url = f"sqlite:///{isolated / 'mem.db'}"
    backends = ["--session-service", f"sqlite:///{isolated / 's.db'}", "--memory-service", url]
    backends += ["--artifact-service", "memory://"]
    for text in ("note the gate code is 4417zebra", "hello"):
        done = cli("run", ASSISTANT, "-m", text, "--session", "a", *backends)
        assert done.exit_code == 0, done.output

    async def found() -> list[str]:
        service = memory_service_from_url(url)
        try:
            result = await service.search_memory(
                app_name="assistant", user_id="user", query="4417zebra"
            )
            return [m.content.parts[0].text for m in result.memories]
        finally:
            await service.close()

    texts = asyncio.run(found())
    assert texts.count("note the gate code is 4417zebra") == 1, texts
    assert len(texts) == len(set(texts)) == 2, texts  # the note and the reply, once each
