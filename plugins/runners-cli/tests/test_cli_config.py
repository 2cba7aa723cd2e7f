"""``runners config`` / ``doctor``: effective settings, their sources, redaction, backend checks."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import Invoke, one_line_error

UNREACHABLE = """
from runners_core import hookimpl
from runners_core.sessions.in_memory import InMemorySessionService


class Unreachable(InMemorySessionService):
    def __init__(self, url):
        super().__init__()
        self.url = url

    async def _list_sessions(self, **kwargs):
        raise ConnectionRefusedError(f"connection refused by {self.url}")


@hookimpl
def register_services(registry):
    registry.add_session_service("flaky", lambda url, **options: Unreachable(url))
"""


def settings_of(result) -> dict:
    return json.loads(result.stdout)["settings"]


def test_each_value_says_where_it_came_from(cli: Invoke, isolated: Path) -> None:
    (isolated / "pyproject.toml").write_text(
        '[tool.runners_core]\napp_name = "shop"\nmemory_service = "memory://"\n'
        "[tool.runners_core.plugins.redact]\npatterns = ['x']\n"
    )
    result = cli(
        "config",
        "--json",
        env={"RUNNERS_CORE_SESSION_SERVICE": "memory://", "RUNNERS_CORE_PLUGINS": ""},
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    settings = data["settings"]
    pyproject = str(isolated / "pyproject.toml")
    assert settings["app_name"] == {"value": "shop", "source": f"pyproject ({pyproject})"}
    assert settings["session_service"]["source"] == "environment (RUNNERS_CORE_SESSION_SERVICE)"
    assert settings["memory_service"]["source"] == f"pyproject ({pyproject})"
    assert settings["plugins"] == {"value": [], "source": "environment (RUNNERS_CORE_PLUGINS)"}
    assert settings["session_busy"] == {"value": "wait", "source": "default"}
    # No SQLite plugin enabled: the CLI falls back to memory and says so.
    assert settings["artifact_service"]["value"] == "memory://"
    assert settings["artifact_service"]["source"].startswith("default (in memory")
    assert data["plugin_settings"] == {"redact": {"patterns": ["x"]}}
    assert data["pyproject"] == pyproject and data["checks"] == []


def test_the_table_output_names_settings_and_sources(cli: Invoke) -> None:
    result = cli("config", env={"RUNNERS_CORE_SESSION_SERVICE": "memory://"})
    assert result.exit_code == 0, result.output
    assert "session_service" in result.stdout
    assert "environment (RUNNERS_CORE_SESSION_SERVICE)" in result.stdout


def test_passwords_never_appear(cli: Invoke) -> None:
    url = "redis://admin:hunter2@127.0.0.1:9/0"
    result = cli("config", "--json", env={"RUNNERS_CORE_SESSION_SERVICE": url})
    assert "hunter2" not in result.stdout + result.stderr
    assert settings_of(result)["session_service"]["value"] == "redis://admin:***@127.0.0.1:9/0"


def test_doctor_checks_every_backend(cli: Invoke) -> None:
    result = cli("doctor", "--json", env={"RUNNERS_CORE_PLUGINS": ""})
    assert result.exit_code == 0, result.output
    checks = json.loads(result.stdout)["checks"]
    assert [(c["kind"], c["ok"]) for c in checks] == [
        ("session", True),
        ("memory", True),
        ("artifact", True),
    ]


def test_an_unreachable_backend_is_one_problem_line_without_the_password(
    cli: Invoke, install_plugin
) -> None:
    install_plugin("flaky", UNREACHABLE)
    url = "flaky://app:s3cret@db.internal:5999/x"
    result = cli("config", "--check", env={"RUNNERS_CORE_SESSION_SERVICE": url})
    assert result.exit_code == 1
    line = one_line_error(result.stderr)
    assert line.startswith("error: session service flaky://app:***@db.internal:5999/x: unreachable")
    assert "ConnectionRefusedError" in line and "check that the server is running" in line
    assert "s3cret" not in result.stdout + result.stderr
    assert "memory" in result.stdout  # the other backends were still checked


def test_an_unknown_scheme_is_a_problem_with_the_fix(cli: Invoke) -> None:
    result = cli("doctor", env={"RUNNERS_CORE_MEMORY_SERVICE": "sqlite-typo://x"})
    assert result.exit_code == 1
    line = one_line_error(result.stderr)
    assert "memory service sqlite-typo://x: cannot be built" in line
    assert "install a plugin that registers it" in line


def test_a_broken_pyproject_is_one_line(cli: Invoke, isolated: Path) -> None:
    (isolated / "pyproject.toml").write_text("[tool.runners_core\n")
    result = cli("config")
    assert result.exit_code == 1
    assert "is not valid TOML" in one_line_error(result.stderr)


def test_secret_named_plugin_settings_are_masked(cli: Invoke, isolated: Path) -> None:
    """docs/cli.md: settings whose name contains password, secret, token or key show as ***."""
    (isolated / "pyproject.toml").write_text(
        "[tool.runners_core.plugins.vault]\n"
        'api_key = "Sekr1tK1"\nauth_token = "Sekr1tT2"\nclient_secret = "Sekr1tS3"\n'
        'DB_PASSWORD = "Sekr1tP4"\nregion = "eu-west-1"\n'
        '[tool.runners_core.plugins.vault.nested]\nsigning_key = "Sekr1tN5"\n'
    )
    env = {"RUNNERS_CORE_SESSION_SERVICE": "memory://", "RUNNERS_CORE_PLUGINS": ""}
    for args in (("config", "--json"), ("config",), ("doctor",)):
        result = cli(*args, env=env)
        assert "Sekr1t" not in result.stdout + result.stderr, (args, result.output)
    shown = json.loads(cli("config", "--json", env=env).stdout)["plugin_settings"]["vault"]
    assert shown["region"] == "eu-west-1"
    for name in ("api_key", "auth_token", "client_secret", "DB_PASSWORD"):
        assert shown[name] == "***", name
    assert shown["nested"] == {"signing_key": "***"}
