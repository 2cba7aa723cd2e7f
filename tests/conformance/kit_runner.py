"""Runs conformance suites in a child pytest process, as a backend package's CI would.

The child gets its own project directory: ``throwaway_backends.py`` installed as
a plugin distribution (a dist-info with a ``runners_core.plugins`` entry point,
so ``session_service_from_url`` finds ``jsonfile://`` in worker processes too),
a ``pytest.ini`` with pytest-asyncio's strict mode (what a package gets when its
config does not set ``asyncio_mode``) and the test module under test. Results come back
from JUnit XML (exact failure messages) and the kit's ``--conformance-json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
PLUGIN_NAME = "throwaway"


@dataclass
class KitRun:
    """What a child pytest run reported."""

    returncode: int
    output: str
    failures: dict[str, str] = field(default_factory=dict)  # "Class::test" -> message
    passed: set[str] = field(default_factory=set)
    skipped: dict[str, str] = field(default_factory=dict)
    table: dict[str, Any] = field(default_factory=dict)

    def failed_in(self, suite: str) -> dict[str, str]:
        return {k: v for k, v in self.failures.items() if k.startswith(suite + "::")}

    def area(self, suite: str, area: str) -> dict[str, Any]:
        return self.table[suite]["areas"][area]


def run_kit(project: Path, test_source: str, *args: str) -> KitRun:
    """Run *test_source* as ``test_suite.py`` in a fresh child pytest under *project*."""
    project.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "throwaway_backends.py", project / "throwaway_backends.py")
    info = project / "rc_throwaway-0.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rc-throwaway\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text(
        f"[runners_core.plugins]\n{PLUGIN_NAME} = throwaway_backends\n"
    )
    # pytest-asyncio's default, spelled out: the kit must not rely on asyncio_mode=auto.
    (project / "pytest.ini").write_text("[pytest]\nasyncio_mode = strict\n")
    (project / "test_suite.py").write_text(textwrap.dedent(test_source))
    env = {
        **os.environ,
        "PYTHONPATH": str(project),
        "RUNNERS_CORE_PLUGINS": PLUGIN_NAME,
        "COLUMNS": "200",
    }
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--junitxml=junit.xml",
            "--conformance-json=conformance.json",
            *args,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    run = KitRun(proc.returncode, proc.stdout + proc.stderr)
    junit = project / "junit.xml"
    if junit.exists():
        _read_junit(junit, run)
    table = project / "conformance.json"
    if table.exists():
        run.table = json.loads(table.read_text())
    return run


def _read_junit(path: Path, run: KitRun) -> None:
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        skipped = case.find("skipped")
        if problem is not None:
            run.failures[name] = f"{problem.get('message', '')}\n{problem.text or ''}"
        elif skipped is not None:
            run.skipped[name] = skipped.get("message", "")
        else:
            run.passed.add(name)
