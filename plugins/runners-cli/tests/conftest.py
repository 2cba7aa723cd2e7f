"""Fixtures for driving the real ``runners`` command in-process (typer's CliRunner)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from backend_urls import pg_url, redis_url  # noqa: F401  (fixtures for the backend tests)
from cli_helpers import ENV_VARS, SHARED_BACKEND, Invoke, dist_site
from runners_cli.app import build_app
from typer.testing import CliRunner, Result


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test runs in an empty folder (``.runners/`` lands there) with no RUNNERS_CORE_*.

    Unlike the kernel tests, installed plugins stay enabled: the command is
    about them (runners-sqlite provides the embedded default).
    """
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Install a throwaway plugin distribution in this process (real entry-point discovery)."""
    folder = tmp_path / "plugins"
    folder.mkdir(exist_ok=True)

    def install(name: str, source: str) -> Path:
        site = dist_site(folder, name, source)
        monkeypatch.syspath_prepend(str(site))
        return site / f"rc_cli_{name}.py"

    return install


@pytest.fixture
def cli() -> Invoke:
    """``cli("run", AGENT, "-m", "hi", input=...)``: the real app through typer's CliRunner."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(build_app(), list(args), input=input, env=env)

    return invoke


@pytest.fixture
def shared_backend(
    install_plugin: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Install the ``shared://`` test backend in this process; returns its URL.

    Its module is imported afresh for each test, so no data leaks between tests.
    """
    monkeypatch.delitem(sys.modules, "rc_cli_shared", raising=False)
    install_plugin("shared", SHARED_BACKEND)
    yield "shared://"
    sys.modules.pop("rc_cli_shared", None)
