"""Each test runs in an empty folder, with installed plugins off unless a test turns them on."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for var in (
        "RUNNERS_CORE_DISABLE_PLUGINS",
        "RUNNERS_CORE_SESSION_SERVICE",
        "RUNNERS_CORE_MEMORY_SERVICE",
        "RUNNERS_CORE_ARTIFACT_SERVICE",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RUNNERS_CORE_PLUGINS", "")
    monkeypatch.chdir(tmp_path)
    return tmp_path
