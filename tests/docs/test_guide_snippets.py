"""The guide pages run as written: every Python block, and the output they show.

On each page below, the ```python blocks run in order in one namespace (a later block may
use what an earlier one defined), in a fresh working directory. When a ```text block
follows a Python block, the lines that block printed must be exactly that text.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDE_PAGES = sorted(
    [*DOCS.glob("getting-started/*.md"), *DOCS.glob("guide/*.md")],
    key=lambda path: str(path),
)
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", flags=re.MULTILINE | re.DOTALL)


def blocks(page: Path) -> list[tuple[str, str]]:
    return [(lang, body) for lang, body in FENCE.findall(page.read_text())]


def runnable(page: Path) -> list[tuple[str, str | None]]:
    """(python code, the text it must print or None) pairs of *page*."""
    found = blocks(page)
    pairs = []
    for index, (lang, body) in enumerate(found):
        if lang != "python":
            continue
        following = found[index + 1] if index + 1 < len(found) else None
        expected = following[1] if following and following[0] == "text" else None
        pairs.append((body, expected))
    return pairs


def test_the_guide_has_pages_with_snippets():
    assert len(GUIDE_PAGES) >= 8
    assert sum(len(runnable(page)) for page in GUIDE_PAGES) >= 10


@pytest.mark.parametrize("page", GUIDE_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_runs_as_written(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    # As a user would run them: with the installed plugins (e.g. runners-sqlite) enabled.
    monkeypatch.delenv("RUNNERS_CORE_PLUGINS", raising=False)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for number, (code, expected) in enumerate(runnable(page), start=1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{page.name} (python block {number})", "exec"), namespace)
        if expected is not None:
            assert out.getvalue().splitlines() == expected.splitlines(), (
                f"{page.name}: python block {number} printed something else than the text "
                "block after it shows"
            )
