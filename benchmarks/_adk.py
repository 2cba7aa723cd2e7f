"""Where the Google ADK 2.13 reference interpreter lives, for side-by-side benchmarks.

ADK is never a dependency of runners-core: it lives in its own virtualenv, made by
``bash scripts/setup_adk.sh`` (``.venv-adk`` in the repository). ``RUNNERS_ADK_PYTHON``
points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
_CANDIDATES = (
    _REPO / ".venv-adk" / "bin" / "python",
    _REPO.parent / "main" / ".venv-adk" / "bin" / "python",  # a worktree beside the main one
    Path("/work/adkvenv/bin/python"),
)


def default_adk_python() -> str:
    """``$RUNNERS_ADK_PYTHON``, else the first existing candidate, else the repo's path."""
    explicit = os.environ.get("RUNNERS_ADK_PYTHON")
    if explicit:
        return explicit
    for candidate in _CANDIDATES:
        if candidate.exists():
            return str(candidate)
    return str(_CANDIDATES[0])
