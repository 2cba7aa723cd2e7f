"""docs/operations.md: its snippets run as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "operations.md"
BIN = Path(sys.executable).parent


def section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def commands(text: str) -> list[str]:
    return [
        line.removeprefix("$ ")
        for block in blocks(text, "console")
        for line in block.splitlines()
        if line.startswith("$ ")
    ]


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    program, *args = command.split(" ", 1)
    argv = [str(BIN / program)] + (_split(args[0]) if args else [])
    # As a newcomer's shell: none of the test suite's RUNNERS_CORE_* isolation settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNERS_CORE_")}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _split(args: str) -> list[str]:
    import shlex

    return shlex.split(args)


def test_trace_a_run_in_the_console(tmp_path: Path):
    text = section("Trace a run in the console")
    install, runners_run = commands(text)
    assert install == "pip install -e plugins/runners-otel"  # done by scripts/setup.sh
    (tmp_path / "pyproject.toml").write_text(blocks(text, "toml")[0])
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "assistant.py", tmp_path / "examples")
    result = run(runners_run, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "assistant: Hello!" in out
    agent = out.index('"name": "invoke_agent assistant"')
    invocation = out.index('"name": "invocation assistant"')
    assert agent < invocation  # a span is printed when it ends: the child first
    assert '"service.name": "assistant"' in out
    assert '"runners.outcome": "ok"' in out
    assert '"name": "runners.invocations"' in out  # metrics, at exit
