"""``runners plugin new``: the generated packages install and pass their own tests as generated."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from cli_helpers import Invoke, one_line_error, subprocess_env


def make_venv(folder: Path) -> Path:
    """A throwaway venv that sees this one's packages (runners-core, pytest) but installs
    into its own site-packages, so the generated packages never touch the shared .venv."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120
    )
    python = folder / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    parent = sysconfig.get_paths()["purelib"]
    Path(site, "_runners_parent.pth").write_text(f"import site; site.addsitedir({parent!r})\n")
    return python


def test_new_hook_and_backend_plugins_install_and_pass_their_tests(
    cli: Invoke, isolated: Path, tmp_path: Path
) -> None:
    hook = cli("plugin", "new", "audit")
    assert hook.exit_code == 0, hook.output
    backend = cli("plugin", "new", "acme-store", "--backend", "-d", "store")
    assert backend.exit_code == 0, backend.output
    assert (isolated / "runners-audit" / "runners_audit" / "plugin.py").is_file()
    assert (isolated / "store" / "tests" / "test_acme_store_conformance.py").is_file()
    pyproject = (isolated / "store" / "pyproject.toml").read_text()
    assert '[project.entry-points."runners_core.plugins"]' in pyproject
    assert 'acme-store = "runners_acme_store.plugin:Plugin"' in pyproject

    python = make_venv(tmp_path / "venv")
    env = subprocess_env()
    pip = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    install = subprocess.run(
        [*pip, "-e", "runners-audit", "-e", "store"],
        cwd=isolated,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    for folder, expected in (("runners-audit", "2 passed"), ("store", "passed")):
        run = subprocess.run(
            [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
            cwd=isolated / folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, f"{folder}:\n{run.stdout}\n{run.stderr}"
        assert expected in run.stdout and "failed" not in run.stdout
    # The backend ran the conformance kit: its report names the contract areas.
    assert "lifecycle" in run.stdout and "state_scopes" in run.stdout

    plugins = subprocess.run(
        [str(python), "-m", "runners_cli", "plugins", "--json"],
        cwd=isolated,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert '"name": "audit"' in plugins.stdout and '"name": "acme-store"' in plugins.stdout


@pytest.mark.parametrize("name", ["Audit", "9lives", "a--b", "with space", "x_"])
def test_an_unusable_name_is_one_line(cli: Invoke, name: str) -> None:
    result = cli("plugin", "new", name)
    assert result.exit_code == 1
    assert "is not usable" in one_line_error(result.stderr)


def test_an_existing_folder_is_left_alone(cli: Invoke, isolated: Path) -> None:
    (isolated / "runners-audit").mkdir()
    (isolated / "runners-audit" / "mine.txt").write_text("keep me")
    result = cli("plugin", "new", "audit")
    assert result.exit_code == 1
    assert "already exists" in one_line_error(result.stderr)
    assert sorted(p.name for p in (isolated / "runners-audit").iterdir()) == ["mine.txt"]
