"""Help that reads the same everywhere: readable metavars, plain plugin help, shell completion."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import GREETER_PLUGIN, Invoke, command_tree, dist_site, pythonpath, run_cli


def test_every_option_value_has_a_readable_metavar() -> None:
    missing = [
        f"runners {path} {param.opts[0]}"
        for path, command in command_tree().items()
        for param in command.params
        if param.param_type_name == "option" and not param.is_flag and param.metavar is None
    ]
    assert len(command_tree()) >= 14  # run, plugins, ..., sessions list, plugin new
    assert missing == [], "give these options a metavar (ID, NAME, N, URL, FILE...)"


def test_help_names_values_not_types(cli: Invoke) -> None:
    for args in (["run"], ["sessions", "list"], ["export"], ["prune"]):
        result = cli(*args, "--help")
        assert result.exit_code == 0, result.output
        options = result.stdout.split("Options:", 1)[1]
        assert "<str>" not in options and "<int" not in options, (args, options)
    assert "--page-token TOKEN" in cli("sessions", "list", "--help").stdout
    assert "-s, --session ID" in cli("run", "--help").stdout


def test_shell_completion_is_offered_and_completes_commands_and_options(
    isolated: Path, tmp_path: Path
) -> None:
    help_text = run_cli("--help", cwd=isolated).stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text
    # The script --install-completion writes, asked for by name: --show-completion itself
    # detects the shell from the parent processes, which a test process may not have.
    script = run_cli(cwd=isolated, env={"_RUNNERS_COMPLETE": "source_bash"})
    assert script.returncode == 0 and "_runners_completion" in script.stdout

    env = pythonpath(dist_site(tmp_path, "greeter", GREETER_PLUGIN))

    def complete(words: str) -> list[str]:
        line = words.split(" ")
        result = run_cli(
            cwd=isolated,
            env={
                **env,
                "_RUNNERS_COMPLETE": "complete_bash",
                "COMP_WORDS": words,
                "COMP_CWORD": str(len(line) - 1),
            },
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert complete("runners sess") == ["sessions"]
    assert "greet" in complete("runners gr")  # plugin commands complete too
    assert complete("runners sessions list --page") == ["--page-size", "--page-token"]


def test_plugin_commands_get_the_same_plain_help(isolated: Path, tmp_path: Path) -> None:
    env = pythonpath(dist_site(tmp_path, "greeter", GREETER_PLUGIN))
    plugin = run_cli("greet", "--help", cwd=isolated, env=env)
    builtin = run_cli("plugins", "--help", cwd=isolated, env=env)
    for result in (plugin, builtin):
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Usage: runners ")
        assert "╭" not in result.stdout and "Options:" in result.stdout
    assert "-h, --help" in run_cli("greet", "-h", cwd=isolated, env=env).stdout
