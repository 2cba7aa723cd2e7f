"""``runners plugins`` (also with a broken plugin installed), plugin subcommands, a fast --help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli_helpers import (
    GREETER_PLUGIN,
    Invoke,
    dist_site,
    json_lines,
    one_line_error,
    pythonpath,
    run_cli,
)

BROKEN = """
raise ImportError("this plugin is broken on purpose")
"""

FAILING_COMMANDS = """
from runners_core import hookimpl

@hookimpl
def register_commands(cli):
    raise RuntimeError("cannot add my commands")
"""

MARKER = """
from pathlib import Path
Path("plugin-was-imported").write_text("yes")

from runners_core import hookimpl

@hookimpl
def on_event(event):
    return None
"""


def by_name(records: list[dict]) -> dict[str, dict]:
    return {record["name"]: record for record in records}


def test_plugins_lists_the_builtin_backend_with_hooks_and_schemes(cli: Invoke) -> None:
    result = cli("plugins", "--json")
    assert result.exit_code == 0, result.output
    memory = by_name(json.loads(result.stdout))["memory"]
    assert memory["distribution"] == "runners-core" and memory["state"] == "enabled"
    assert memory["hooks"] == ["register_services"]
    assert memory["schemes"] == {
        "artifact": ["memory"],
        "memory": ["memory"],
        "session": ["memory"],
    }


def test_disabled_plugins_say_by_what(cli: Invoke, install_plugin, isolated: Path) -> None:
    install_plugin("quiet", "from runners_core import hookimpl\n")
    result = cli("plugins", "--json", env={"RUNNERS_CORE_DISABLE_PLUGINS": "quiet"})
    quiet = by_name(json.loads(result.stdout))["quiet"]
    assert quiet["state"] == "disabled"
    assert "RUNNERS_CORE_DISABLE_PLUGINS" in quiet["reason"]


def test_a_broken_plugin_is_reported_and_the_command_still_works(
    isolated: Path, tmp_path: Path
) -> None:
    site = dist_site(tmp_path, "broken", BROKEN)
    env = pythonpath(site)

    table = run_cli("plugins", cwd=isolated, env=env)
    assert table.returncode == 0, table.stderr
    assert "broken" in table.stdout and "failed" in table.stdout
    assert "ImportError: this plugin is broken on purpose" in table.stdout
    assert "RUNNERS_CORE_DISABLE_PLUGINS=broken" in table.stdout
    assert "Traceback" not in table.stdout + table.stderr

    as_json = run_cli("plugins", "--json", cwd=isolated, env=env)
    assert as_json.returncode == 0, as_json.stderr
    broken = by_name(json.loads(as_json.stdout))["broken"]
    assert broken["state"] == "failed" and broken["distribution"] == "rc-cli-broken"
    assert broken["version"] == "1.0"
    assert broken["reason"] == "ImportError: this plugin is broken on purpose"
    assert "traceback" not in broken

    debug = run_cli("plugins", "--json", "--debug", cwd=isolated, env=env)
    assert "Traceback" in by_name(json.loads(debug.stdout))["broken"]["traceback"]

    # The other commands keep working with the broken plugin installed.
    other = run_cli("config", "--json", cwd=isolated, env=env)
    assert other.returncode == 0, other.stderr
    assert "plugin 'broken' (rc-cli-broken) failed to load" in other.stderr


def test_a_required_plugin_that_fails_is_listed_then_an_error(
    isolated: Path, tmp_path: Path
) -> None:
    site = dist_site(tmp_path, "broken", BROKEN)
    (isolated / "pyproject.toml").write_text(
        '[tool.runners_core]\nrequired_plugins = ["rc-cli-broken"]\n'
    )
    result = run_cli("plugins", "--json", cwd=isolated, env=pythonpath(site))
    assert result.returncode == 1
    assert by_name(json.loads(result.stdout))["broken"]["state"] == "failed"
    assert "required plugin distribution 'rc-cli-broken'" in one_line_error(result.stderr)


def test_plugins_add_subcommands_through_the_hook(isolated: Path, tmp_path: Path) -> None:
    env = pythonpath(dist_site(tmp_path, "greeter", GREETER_PLUGIN))
    greet = run_cli("greet", "--name", "Ada", cwd=isolated, env=env)
    assert greet.returncode == 0, greet.stderr
    assert greet.stdout.strip() == "hello Ada from a plugin"

    help_text = run_cli("--help", cwd=isolated, env=env)
    assert "greet" in help_text.stdout and "Say hello (added by a plugin)." in help_text.stdout

    plugins = by_name(json.loads(run_cli("plugins", "--json", cwd=isolated, env=env).stdout))
    assert plugins["greeter"]["hooks"] == ["register_commands"]


def test_a_plugin_failing_to_add_commands_does_not_break_the_cli(
    isolated: Path, tmp_path: Path
) -> None:
    env = pythonpath(dist_site(tmp_path, "clumsy", FAILING_COMMANDS))
    help_text = run_cli("--help", cwd=isolated, env=env)
    assert help_text.returncode == 0
    assert "plugin 'clumsy' failed in hook 'register_commands'" in help_text.stderr
    unknown = run_cli("nosuchcommand", cwd=isolated, env=env)
    assert unknown.returncode == 2 and "No such command" in unknown.stderr
    # hooks.md: "A plugin that fails here is reported by `runners plugins`".
    listed = run_cli("plugins", "--json", cwd=isolated, env=env)
    assert listed.returncode == 0, listed.stderr
    clumsy = by_name(json.loads(listed.stdout))["clumsy"]
    assert clumsy["state"] == "enabled"  # its other hooks still run
    assert clumsy["reason"] == "its commands are unavailable: RuntimeError: cannot add my commands"
    assert "plugin 'clumsy' failed in hook 'register_commands'" in listed.stderr
    table = run_cli("plugins", cwd=isolated, env=env)
    assert table.returncode == 0 and "failed in hook 'register_commands'" in table.stderr


def test_builtin_commands_do_not_load_plugins(isolated: Path, tmp_path: Path) -> None:
    env = pythonpath(dist_site(tmp_path, "marker", MARKER))
    assert run_cli("run", "--help", cwd=isolated, env=env).returncode == 0
    assert run_cli("sessions", "list", "--help", cwd=isolated, env=env).returncode == 0
    assert not (isolated / "plugin-was-imported").exists()
    # The top-level help lists plugin subcommands, so it does load them.
    assert run_cli("--help", cwd=isolated, env=env).returncode == 0
    assert (isolated / "plugin-was-imported").exists()


def test_importing_the_cli_stays_light() -> None:
    probe = (
        "import sys, runners_cli, runners_cli.app;"
        "runners_cli.app.build_app();"
        "heavy = ['runners_core.runner', 'runners_core.plugins.manager', 'pydantic', 'rich'];"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json_lines(out.stdout.replace("'", '"')) == [[]]


CLAIMS_DUP = """
from runners_core import hookimpl
from runners_core.sessions.in_memory import InMemorySessionService

@hookimpl
def register_services(registry):
    registry.add_session_service("dup", lambda url, **options: InMemorySessionService())
"""


def test_plugins_and_config_run_when_two_plugins_claim_one_scheme(
    cli: Invoke, install_plugin, isolated: Path
) -> None:
    install_plugin("claima", CLAIMS_DUP)
    install_plugin("claimb", CLAIMS_DUP)
    listed = cli("plugins", "--json")
    assert listed.exit_code == 1
    records = by_name(json.loads(listed.stdout))
    assert records["claima"]["schemes"] == records["claimb"]["schemes"] == {"session": ["dup"]}
    error = one_line_error(listed.stderr)
    assert "'claima' (distribution rc-cli-claima)" in error
    assert "'claimb' (distribution rc-cli-claimb)" in error

    assert cli("config", "--json").exit_code == 0  # nothing configured uses dup://
    (isolated / "pyproject.toml").write_text('[tool.runners_core]\nsession_service = "dup://"\n')
    checked = cli("config", "--check", "--json")
    assert checked.exit_code == 1
    assert json.loads(checked.stdout)["settings"]["session_service"]["value"] == "dup://"
    assert "more than one plugin" in checked.stderr and "claimb" in checked.stderr


def test_config_runs_in_strict_mode_with_a_broken_plugin(
    cli: Invoke, install_plugin, isolated: Path
) -> None:
    install_plugin("broken", BROKEN)
    (isolated / "pyproject.toml").write_text("[tool.runners_core]\nstrict = true\n")
    shown = cli("config", "--json")
    assert shown.exit_code == 1
    assert json.loads(shown.stdout)["settings"]["strict"]["value"] is True
    assert "strict mode is on" in one_line_error(shown.stderr)
    listed = cli("plugins", "--json")
    assert listed.exit_code == 1
    assert by_name(json.loads(listed.stdout))["broken"]["state"] == "failed"
    # Commands that use the plugins refuse, naming why.
    ran = cli("sessions", "list", "--app", "shop", "--json")
    assert ran.exit_code == 1 and "strict mode is on" in ran.stderr


SHADOWING = """
import typer
from runners_core import hookimpl

@hookimpl
def register_commands(cli):
    @cli.command("config")
    def config() -> None:
        '''A plugin's own config command.'''
        typer.echo("plugin config ran")

    @cli.command("shadowtest")
    def shadowtest() -> None:
        '''Not built in: reachable.'''
        typer.echo("plugin shadowtest ran")
"""


def test_a_builtin_command_wins_over_a_plugin_command_of_the_same_name(
    isolated: Path, tmp_path: Path
) -> None:
    env = pythonpath(dist_site(tmp_path, "shadow", SHADOWING))
    help_text = run_cli("--help", cwd=isolated, env=env)
    assert help_text.returncode == 0, help_text.stderr
    assert "shadowtest" in help_text.stdout
    assert (
        "warning: a plugin's command 'config' is ignored: 'runners config' is built in"
        in help_text.stderr
    )
    # A plugin command is loaded when the name is not built in; it must not replace 'config'.
    own = run_cli("shadowtest", cwd=isolated, env=env)
    assert own.returncode == 0 and own.stdout.strip() == "plugin shadowtest ran", own.stderr
    builtin = run_cli("config", "--json", cwd=isolated, env=env)
    assert builtin.returncode == 0, builtin.stderr
    assert "plugin config ran" not in builtin.stdout and "settings" in json.loads(builtin.stdout)
