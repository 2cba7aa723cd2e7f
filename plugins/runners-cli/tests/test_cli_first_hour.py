"""What a new user hit in their first hour: each report shows the problem as written."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import Invoke, one_line_error, write_module

ECHO = """
from runners_core import BaseAgent

class Echo(BaseAgent):
    async def _run_async_impl(self, ctx):
        yield ctx.event("echo: " + ctx.user_content.text)

root_agent = Echo(name="echo")
"""

FAILING_AFTER_RUN = """
from runners_core import hookimpl

@hookimpl
def after_run(ctx):
    raise RuntimeError("the audit log is full")
"""


def test_config_shows_plugin_table_names_as_written(cli: Invoke, isolated: Path) -> None:
    (isolated / "pyproject.toml").write_text(
        "[tool.runners_core]\nsession_service = 'memory://'\n"
        "[tool.runners_core.plugins.myaudit]\nlevel = '[red]x[/red]'\n"
    )
    result = cli("config")
    assert result.exit_code == 0, result.output
    # Read as rich markup, "[tool.runners_core.plugins.myaudit]" vanished from the table.
    assert "[tool.runners_core.plugins.myaudit]" in result.stdout
    assert '"[red]x[/red]"' in result.stdout


def test_an_unknown_allow_list_name_still_shows_the_diagnostics(
    cli: Invoke, isolated: Path
) -> None:
    (isolated / "pyproject.toml").write_text('[tool.runners_core]\nenable = ["nosuch"]\n')
    for command in (["plugins"], ["config"], ["doctor"]):
        result = cli(*command)
        assert result.exit_code == 1, (command, result.output)
        assert "unknown plugin 'nosuch'" in one_line_error(result.stderr), command
        assert result.stdout.strip(), f"{command}: nothing but the error"
    plugins = cli("plugins", "--json")
    assert {r["name"]: r["state"] for r in json.loads(plugins.stdout)}["memory"] == "enabled"
    assert "effective settings" in cli("config").stdout


def test_a_disabled_provider_is_not_reported_as_missing(cli: Invoke, isolated: Path) -> None:
    write_module(isolated, "echo.py", ECHO)
    (isolated / "pyproject.toml").write_text(
        '[tool.runners_core]\ndisable = ["sqlite"]\nsession_service = "sqlite:///s.db"\n'
    )
    result = cli("run", "echo.py", "-m", "hi")
    assert result.exit_code == 1
    line = one_line_error(result.stderr)
    assert "pip install" not in line
    assert "plugin 'sqlite' (runners-sqlite), which is installed but disabled" in line
    assert "remove 'sqlite' from that list" in line

    # The in-memory fallback warning says the same, not "runners-sqlite is not installed".
    (isolated / "pyproject.toml").write_text('[tool.runners_core]\ndisable = ["sqlite"]\n')
    result = cli("run", "echo.py", "-m", "hi")
    assert result.exit_code == 0, result.output
    assert "is not installed" not in result.stderr
    assert "which is installed but disabled" in result.stderr


def test_a_hook_error_comes_before_the_saved_note(
    cli: Invoke, isolated: Path, install_plugin
) -> None:
    install_plugin("audit", FAILING_AFTER_RUN)
    write_module(isolated, "echo.py", ECHO)
    result = cli("run", "echo.py", "-m", "hi", "-s", "h1", env={"RUNNERS_CORE_PLUGINS": "audit"})
    assert result.exit_code == 1
    output = result.output  # stdout and stderr in the order they were written
    error = output.index("error: plugin 'audit' failed in hook 'after_run'")
    saved = output.index("session h1 saved")
    assert output.index("echo: hi") < error < saved
    assert "session h1 saved with what was stored before the error" in output


def test_showing_a_session_of_an_unknown_app_names_the_app(
    cli: Invoke, isolated: Path, shared_backend: str
) -> None:
    write_module(isolated, "echo.py", ECHO)
    ran = cli("run", "echo.py", "-m", "hi", "-s", "s1", "--session-service", "shared://")
    assert ran.exit_code == 0, ran.output
    result = cli("sessions", "show", "s1", "--app", "ecko", "--session-service", "shared://")
    assert result.exit_code == 1
    line = one_line_error(result.stderr)
    assert "app 'ecko' has no sessions" in line and "check the app name" in line
    result = cli("sessions", "show", "nope", "--app", "echo", "--session-service", "shared://")
    assert "no session 'nope' for user 'user' in app 'echo'" in one_line_error(result.stderr)


def test_plugins_never_split_a_hook_name(cli: Invoke, install_plugin) -> None:
    install_plugin(
        "chatty",
        """
        from runners_core import hookimpl

        @hookimpl
        def before_append_event(session, event):
            return None

        @hookimpl
        def on_close_session(session):
            return None
        """,
    )
    records = json.loads(cli("plugins", "--json").stdout)
    result = cli("plugins", env={"COLUMNS": "70"})
    for record in records:
        for hook in record["hooks"]:
            assert hook in result.stdout, f"{hook} was split across lines"
