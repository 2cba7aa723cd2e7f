"""The docs describe the real hooks: every hookspec is documented with its exact arguments."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from runners_core import hookspecs

DOCS = Path(__file__).resolve().parents[1] / "docs"


def spec_signatures() -> dict[str, list[str]]:
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return {
        name: list(inspect.signature(func).parameters)
        for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(func, marker)
    }


def documented_signatures() -> dict[str, list[str]]:
    text = (DOCS / "hooks.md").read_text()
    found = {}
    for name, args in re.findall(r"^### `(\w+)\(([^)]*)\)`", text, flags=re.MULTILINE):
        found[name] = [a.strip() for a in args.split(",") if a.strip()]
    return found


def test_every_hook_is_documented_with_its_signature():
    specs = spec_signatures()
    docs = documented_signatures()
    assert specs, "no hookspecs found"
    missing = sorted(set(specs) - set(docs))
    extra = sorted(set(docs) - set(specs))
    assert not missing, f"hooks missing from docs/hooks.md: {missing}"
    assert not extra, f"docs/hooks.md documents hooks that do not exist: {extra}"
    for name, params in specs.items():
        assert docs[name] == params, f"{name}: docs say {docs[name]}, code says {params}"


def test_every_hookspec_has_a_docstring():
    for name, func in inspect.getmembers(hookspecs, inspect.isfunction):
        if hasattr(func, f"{hookspecs.PROJECT_NAME}_spec"):
            assert func.__doc__ and func.__doc__.strip(), f"{name} has no docstring"
