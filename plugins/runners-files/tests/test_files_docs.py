"""The Python snippets of docs/backends/files.md run as written."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "backends" / "files.md"


def snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


async def test_python_snippets_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    found = snippets()
    assert found, f"no python snippet in {DOC}"
    for code in found:
        namespace: dict[str, Any] = {}
        compiled = compile(code, str(DOC), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(compiled, namespace)
        if result is not None:
            await result
    assert (tmp_path / ".runners/artifacts/app/ada/sessions/s1/reports%2Fq1.txt/0.json").exists()
