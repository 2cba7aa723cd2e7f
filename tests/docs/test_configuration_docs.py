"""docs/configuration.md documents every setting the configuration models accept.

A setting added to ``runners_core.config.Settings`` or to the retention policy
without a row in the docs fails here, naming it; so does a documented setting
that no longer exists.
"""

from __future__ import annotations

import re
from pathlib import Path

from runners_core.config import ENV_VARS, SETTING_NAMES
from runners_core.retention.policy import RetentionPolicy

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
ROW = re.compile(r"^\| `(?P<name>[a-z_]+)`", re.MULTILINE)


def table_after(heading: str) -> set[str]:
    """The setting names in the first column of the first table after *heading*."""
    text = DOC.read_text(encoding="utf-8")
    assert heading in text, f"{DOC.name} has no {heading!r}"
    lines = text.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return set(ROW.findall("\n".join(table)))


def test_every_tool_runners_core_setting_is_in_the_table() -> None:
    documented = table_after("# Configuration")
    missing = set(SETTING_NAMES) - documented
    assert not missing, f"add rows for {sorted(missing)} to the settings table of {DOC.name}"
    stale = documented - set(SETTING_NAMES)
    assert not stale, f"{DOC.name} documents settings that do not exist: {sorted(stale)}"
    text = DOC.read_text(encoding="utf-8")
    assert "`enable`" in text  # the other spelling of `plugins`
    for variable in ENV_VARS.values():
        assert f"`{variable}`" in text, f"{variable} is not documented in {DOC.name}"


def test_every_retention_setting_is_in_its_table() -> None:
    documented = table_after("## Retention: `[tool.runners_core.retention]`")
    fields = set(RetentionPolicy.model_fields)
    assert fields - documented == set(), f"document {sorted(fields - documented)} in {DOC.name}"
    assert documented - fields == set(), f"stale in {DOC.name}: {sorted(documented - fields)}"
