"""docs/migrating-from-adk.md: every runners-core name its import table promises exists."""

from __future__ import annotations

import re
from pathlib import Path

import runners_core

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "migrating-from-adk.md"


def promised_names() -> set[str]:
    names: set[str] = set()
    for line in GUIDE.read_text().splitlines():
        cells = line.split("|")
        if len(cells) < 4 or "ADK import" in line or set(cells[1].strip()) <= {"-"}:
            continue
        adk, ours = cells[1], cells[2]
        adk_names = {n.rsplit(".", 1)[-1] for n in re.findall(r"`([\w.]+)`", adk)}
        ours_names = {n.removeprefix("runners_core.") for n in re.findall(r"`([\w.]+)`", ours)}
        if "same names" in ours:
            names |= {n for n in adk_names if n[0].isupper()}
        names |= {n for n in ours_names if "." not in n and n != "runners_core"}
    return names


def test_every_promised_name_is_exported():
    names = promised_names()
    assert {"Runner", "App", "ParallelAgent", "BasePlugin", "CallbackContext"} <= names
    missing = sorted(n for n in names if not hasattr(runners_core, n))
    assert not missing, f"docs/migrating-from-adk.md promises names runners_core lacks: {missing}"
