"""docs/state.md's example runs and proves what it says."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "state.md"


def test_the_state_example_runs() -> None:
    (snippet,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    exec(compile(snippet, str(DOC), "exec"), {"__name__": "docs_state"})
