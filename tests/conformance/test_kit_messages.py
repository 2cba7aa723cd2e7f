"""The kit describes itself: assertions name their rule, areas declare and document themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import runners_core.testing

KIT = Path(runners_core.testing.__file__).parent


def test_every_kit_assertion_names_its_rule() -> None:
    bare = []
    for path in sorted(KIT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Assert) and node.msg is None:
                bare.append(f"{path.relative_to(KIT)}:{node.lineno}")
    assert not bare, f"kit assertions without a message naming the rule: {bare}"


def test_every_area_module_declares_its_capability() -> None:
    missing = []
    for kind in ("sessions", "memory", "artifacts"):
        for path in sorted((KIT / kind).glob("*.py")):
            tree = ast.parse(path.read_text())
            defines_tests = any(
                isinstance(n, ast.AsyncFunctionDef) and n.name.startswith("test_")
                for n in ast.walk(tree)
            )
            declares = any(
                isinstance(n, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "CAPABILITY" for t in n.targets)
                for n in tree.body
            )
            if defines_tests and not declares:
                missing.append(f"{kind}/{path.name}")
    assert not missing, f"area modules without CAPABILITY = None | '<name>': {missing}"


def test_every_area_is_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "conformance.md").read_text()
    missing = []
    for kind in ("sessions", "memory", "artifacts"):
        section = docs.split(f"`runners_core/testing/{kind}/`", 1)[-1].split("\n### ", 1)[0]
        for path in sorted((KIT / kind).glob("*.py")):
            if "async def test_" in path.read_text() and f"| `{path.stem}` |" not in section:
                missing.append(f"{kind}/{path.stem}")
    assert not missing, f"areas missing from docs/conformance.md's tables: {missing}"
