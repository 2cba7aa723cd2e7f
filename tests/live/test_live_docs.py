"""docs/live.md: the quick-start snippets run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "live.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_the_agent_and_caller_snippets_run_together(capsys: pytest.CaptureFixture[str]):
    agent, caller = python_blocks()[:2]
    exec(compile(agent + "\n" + caller, str(DOC), "exec"), {"__name__": "live_doc"})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["... hello", "... there", "=> heard hello there"]
