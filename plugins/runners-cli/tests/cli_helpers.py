"""Helpers for the CLI tests: paths, the installed command, throwaway plugin distributions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

REPO = Path(__file__).resolve().parents[3]
ASSISTANT = f"{REPO / 'examples' / 'assistant.py'}:root_agent"
RUNNERS = Path(sys.executable).with_name("runners")
# cli("run", AGENT, "-m", "hi", input=...): the real app through typer's CliRunner.
Invoke = Callable[..., Result]
ENV_VARS = (
    "RUNNERS_CORE_PLUGINS",
    "RUNNERS_CORE_DISABLE_PLUGINS",
    "RUNNERS_CORE_SESSION_SERVICE",
    "RUNNERS_CORE_MEMORY_SERVICE",
    "RUNNERS_CORE_ARTIFACT_SERVICE",
)

# A test plugin whose services live as long as the test process, so that
# separate in-process CLI invocations see the same sessions (like a database).
SHARED_BACKEND = """
from runners_core import hookimpl
from runners_core.artifacts.in_memory import InMemoryArtifactService
from runners_core.memory.in_memory import InMemoryMemoryService
from runners_core.sessions.in_memory import InMemorySessionService

SERVICES = {}

def _shared(kind, factory):
    def build(url, **options):
        return SERVICES.setdefault((kind, url), factory())
    return build

@hookimpl
def register_services(registry):
    registry.add_session_service("shared", _shared("session", InMemorySessionService))
    registry.add_memory_service("shared", _shared("memory", InMemoryMemoryService))
    registry.add_artifact_service("shared", _shared("artifact", InMemoryArtifactService))
"""


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env.update({"COLUMNS": "200", "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def run_cli(
    *args: str,
    cwd: Path,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """The installed ``runners`` console script, as a user runs it."""
    return subprocess.run(
        [str(RUNNERS), *args],
        cwd=cwd,
        input=input,
        env=subprocess_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def session_schemes() -> list[str]:
    from runners_core import load_config, load_plugins

    return load_plugins(load_config(environ={})).registry.schemes("session")


def require_sqlite() -> None:
    """Skip when runners-sqlite is not installed, except in CI where it must be."""
    if "sqlite" in session_schemes():
        return
    message = "runners-sqlite is not installed (pip install -e plugins/runners-sqlite)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI installs it, so this is a failure")
    pytest.skip(message)


def write_module(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def json_lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def one_line_error(stderr: str) -> str:
    """The single ``error:`` line of *stderr*, asserting there is no traceback."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def dist_site(folder: Path, name: str, module_source: str, entry: str | None = None) -> Path:
    """A throwaway installed distribution (module + dist-info) to put on PYTHONPATH."""
    site = folder / "site"
    site.mkdir(exist_ok=True)
    module = f"rc_cli_{name}"
    (site / f"{module}.py").write_text(textwrap.dedent(module_source))
    info = site / f"rc_cli_{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: rc-cli-{name}\nVersion: 1.0\n")
    target = f"{module}:{entry}" if entry else module
    (info / "entry_points.txt").write_text(f"[runners_core.plugins]\n{name} = {target}\n")
    return site


def pythonpath(*folders: Path) -> dict[str, str]:
    existing = os.environ.get("PYTHONPATH")
    parts = [str(f) for f in folders] + ([existing] if existing else [])
    return {"PYTHONPATH": os.pathsep.join(parts)}


# A plugin adding the subcommand 'runners greet' through register_commands.
GREETER_PLUGIN = """
import typer
from runners_core import hookimpl

@hookimpl
def register_commands(cli):
    @cli.command()
    def greet(name: str = "world") -> None:
        '''Say hello (added by a plugin).'''
        typer.echo(f"hello {name} from a plugin")
"""


def command_tree(*, with_root: bool = False) -> dict[str, Any]:
    """Every built-in command by its path ('sessions list'; '' is the root), plugins not loaded.

    typer builds its commands on its own copy of click, so they are recognised by
    what they have (``commands``, ``param_type_name``), not by click's classes.
    """
    import typer
    from runners_cli.app import build_app

    found: dict[str, Any] = {}

    def walk(command: Any, path: str) -> None:
        if hasattr(command, "commands"):
            if with_root and not path:
                found[""] = command
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}".strip())
        else:
            found[path] = command

    walk(typer.main.get_command(build_app()), "")
    return found
