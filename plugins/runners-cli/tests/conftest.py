"""Fixtures for driving the real ``runners`` command in-process (typer's CliRunner)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from runners_core.cli.app import build_app
from tests.cli.helpers import ENV_VARS, SHARED_BACKEND


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


Invoke = Callable[..., Result]


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
    monkeypatch.delitem(sys.modules, "rc_test_shared", raising=False)
    install_plugin("shared", SHARED_BACKEND, dist="rc-test-shared-backend")
    yield "shared://"
    sys.modules.pop("rc_test_shared", None)
