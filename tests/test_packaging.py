"""Every package of the repository carries the metadata users and type checkers rely on."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = sorted(
    [
        ROOT / "pyproject.toml",
        *ROOT.glob("plugins/*/pyproject.toml"),
        *ROOT.glob("examples/*/pyproject.toml"),
    ]
)


def test_a_licence_file_ships_with_the_repository():
    assert "Apache License" in (ROOT / "LICENSE").read_text()


@pytest.mark.parametrize("pyproject", PROJECTS, ids=lambda p: p.parent.name or "kernel")
def test_package_metadata(pyproject: Path):
    project = tomllib.loads(pyproject.read_text())
    assert project["project"]["license"] == "Apache-2.0", (
        f'{pyproject}: write the licence as an SPDX string, license = "Apache-2.0"'
    )
    assert any(r.startswith("setuptools>=77") for r in project["build-system"]["requires"]), (
        f"{pyproject}: SPDX licence strings need setuptools>=77 in [build-system].requires"
    )
    packages = [
        path.parent
        for path in pyproject.parent.glob("*/__init__.py")
        if path.parent.name not in {"tests", "benchmarks"}
    ]
    assert packages, f"{pyproject}: no package directory found next to it"
    for package in packages:
        assert (package / "py.typed").exists(), (
            f"{package} has no py.typed: add an empty one so type checkers use its hints"
        )
