"""The Python snippets of docs/backends/s3.md run as written (building needs no server)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[3] / "docs" / "backends" / "s3.md"


async def test_python_snippets_run() -> None:
    found = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert found, f"no python snippet in {DOC}"
    for code in found:
        namespace: dict[str, Any] = {}
        compiled = compile(code, str(DOC), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(compiled, namespace)
        if result is not None:
            await result
        assert namespace["artifacts"].settings.region == "eu-west-1"
