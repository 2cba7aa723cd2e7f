"""docs/cli.md lists every command, argument and option of the code, and nothing else.

Like datasette's documentation tests: adding an option without documenting it (or
leaving a removed one in the docs) fails here, naming the command and the option.
"""

from __future__ import annotations

import re
from typing import Any

from cli_helpers import REPO, command_tree

DOC = REPO / "docs" / "cli.md"
REFERENCE = "## Every command and option"
HEADING = re.compile(r"^### `runners(?P<path>(?: [a-z-]+)*)`$", re.MULTILINE)
NAME = re.compile(r"`(?P<name>-{1,2}[a-z][a-z-]*|[A-Z][A-Z_]*)(?: (?P<metavar>[A-Z|_]+))?`")


def in_code(command: Any) -> dict[str, str | None]:
    """Argument metavars and option names of *command*, each with its value's name."""
    names: dict[str, str | None] = {}
    for param in command.params:
        if param.param_type_name == "argument":
            names[param.metavar or param.name.upper()] = None
        elif "--help" not in param.opts:
            metavar = None if param.is_flag else param.metavar
            for opt in [*param.opts, *param.secondary_opts]:
                names[opt] = metavar if opt.startswith("--") else None
    return names


def in_docs() -> dict[str, dict[str, str | None]]:
    """The reference section of docs/cli.md: names documented under each command heading."""
    text = DOC.read_text(encoding="utf-8")
    assert REFERENCE in text, f"{DOC} has no {REFERENCE!r} section"
    reference = text.split(REFERENCE, 1)[1]
    headings = list(HEADING.finditer(reference))
    sections: dict[str, dict[str, str | None]] = {}
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        body = reference[heading.end() : following.start() if following else None]
        names: dict[str, str | None] = {}
        for row in body.splitlines():
            if row.startswith("| ") and not row.startswith(("| option", "| ---")):
                for match in NAME.finditer(row.split(" | ", 1)[0]):
                    names[match["name"]] = match["metavar"]
        sections[heading["path"].strip()] = names
    return sections


def test_every_command_has_a_section_and_no_section_is_stale() -> None:
    code, docs = set(command_tree(with_root=True)), set(in_docs())
    assert code - docs == set(), f"document these commands in {DOC.name}: {sorted(code - docs)}"
    assert docs - code == set(), f"{DOC.name} documents commands that do not exist: {docs - code}"


def test_every_option_is_documented_with_its_value_name() -> None:
    docs = in_docs()
    problems = []
    for path, command in command_tree(with_root=True).items():
        documented, actual = docs.get(path, {}), in_code(command)
        where = f"runners {path}".strip()
        for name, metavar in actual.items():
            if name not in documented:
                problems.append(f"{where}: {name} is not documented")
            elif documented[name] != metavar:
                problems.append(f"{where}: {name} takes {metavar}, the docs say {documented[name]}")
        problems += [
            f"{where}: {name} is documented but does not exist"
            for name in set(documented) - set(actual)
        ]
    assert problems == [], "\n".join(problems)
