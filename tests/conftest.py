"""Kernel test fixtures: isolation from installed plugins and the repo's pyproject."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from runners_core import BaseAgent, Content, InvocationContext


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test runs in an empty directory with no installed plugins enabled."""
    for var in (
        "RUNNERS_CORE_PLUGINS",
        "RUNNERS_CORE_DISABLE_PLUGINS",
        "RUNNERS_CORE_SESSION_SERVICE",
        "RUNNERS_CORE_MEMORY_SERVICE",
        "RUNNERS_CORE_ARTIFACT_SERVICE",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RUNNERS_CORE_PLUGINS", "")
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


InstallPlugin = Callable[..., Path]


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InstallPlugin:
    """Install a throwaway plugin distribution (module + dist-info) on sys.path.

    Discovery then goes through the real ``importlib.metadata`` entry points.
    """
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    monkeypatch.syspath_prepend(str(site))

    def install(
        name: str,
        source: str,
        *,
        dist: str | None = None,
        version: str = "1.0",
        target: str | None = None,
    ) -> Path:
        module = f"rc_test_{name.replace('-', '_')}"
        # A module of this name imported by an earlier test must not stand in for this one.
        monkeypatch.delitem(sys.modules, module, raising=False)
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        dist = dist or f"rc-test-{name}"
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        value = f"{module}:{target}" if target else module
        (info / "entry_points.txt").write_text(f"[runners_core.plugins]\n{name} = {value}\n")
        return site / f"{module}.py"

    return install


class EchoAgent(BaseAgent):
    """Replies 'echo: <text>' and counts turns in session state."""

    async def _run_async_impl(self, ctx: InvocationContext):  # type: ignore[override]
        ctx.state["turns"] = ctx.state.get("turns", 0) + 1
        text = ctx.user_content.text if ctx.user_content else ""
        yield ctx.event(f"echo: {text}")


@pytest.fixture
def echo_agent() -> EchoAgent:
    return EchoAgent(name="echo")


def text(message: str) -> Content:
    return Content.from_text(message)
