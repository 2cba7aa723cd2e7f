"""The kernel holds only the kernel: its dependencies, and what importing it pulls in."""

from __future__ import annotations

import subprocess
import sys

import importlib_metadata
import pytest
from packaging.requirements import Requirement

KERNEL_DEPENDENCIES = {"pluggy", "pydantic", "importlib-metadata", "packaging"}


def _imported_after(code: str) -> set[str]:
    """Top-level module names in ``sys.modules`` after running *code* in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_the_kernel_distribution_depends_on_the_kernel_libraries_only() -> None:
    requires = [Requirement(r) for r in importlib_metadata.requires("runners-core") or []]
    runtime = {req.name.lower() for req in requires if req.marker is None}
    assert runtime == KERNEL_DEPENDENCIES


def test_the_kernel_has_no_console_script() -> None:
    dist = importlib_metadata.distribution("runners-core")
    assert [ep.name for ep in dist.entry_points if ep.group == "console_scripts"] == []
    cli = importlib_metadata.distribution("runners-cli")
    assert [ep.value for ep in cli.entry_points if ep.group == "console_scripts"] == [
        "runners_cli:main"
    ]


@pytest.mark.parametrize(
    "code",
    [
        "import runners_core",
        "from runners_core import Runner, InMemoryRunner, BaseAgent, load_plugins",
        "import runners_core.runner, runners_core.plugins.manager",
    ],
)
def test_using_the_kernel_imports_no_command_line_library(code: str) -> None:
    modules = _imported_after(code)
    assert not {"typer", "rich", "click", "runners_cli"} & modules


def test_the_hook_contract_does_not_import_the_runner() -> None:
    modules = _imported_after("import runners_core.hookspecs")
    assert "runners_core.runner" not in modules


@pytest.mark.parametrize("module", ["runners_cli.live", "runners_cli.chat"])
def test_the_chat_variants_do_not_import_the_command_that_picks_them(module: str) -> None:
    assert "runners_cli.run" not in _imported_after(f"import {module}")


def test_importing_the_runner_api_defers_what_only_running_needs() -> None:
    """``from runners_core import Runner, ...`` stays cheap (docs/performance.md#import-time).

    The plugin manager (pluggy, entry points), asyncio and the services are imported
    when a runner is built or run, and no pydantic model builds its validator at import.
    """
    probe = (
        "from runners_core import Runner, InMemoryRunner, Content, Event\n"
        "import sys\n"
        "from pydantic import BaseModel\n"
        "from pydantic._internal._mock_val_ser import MockValSer\n"
        "def subclasses(cls):\n"
        "    for sub in cls.__subclasses__():\n"
        "        yield sub\n"
        "        yield from subclasses(sub)\n"
        "built = [c.__qualname__ for c in subclasses(BaseModel)\n"
        "         if not isinstance(c.__dict__.get('__pydantic_validator__'), MockValSer)]\n"
        "print(' '.join(sorted(sys.modules)))\n"
        "print(' '.join(built))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    modules, built = set(out[0].split()), out[1].split()
    deferred = {
        "asyncio",
        "pluggy",
        "importlib_metadata",
        "importlib.metadata",
        "json",
        "runners_core.plugins.manager",
        "runners_core.config",
        "runners_core.sessions.base",
        "runners_core.agents.base_agent",
    }
    assert not deferred & modules
    assert built == []


def test_importing_the_package_imports_nothing_else() -> None:
    modules = _imported_after("import runners_core")
    bare = _imported_after("pass")
    assert modules - bare == {"runners_core"}
