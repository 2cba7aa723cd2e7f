"""docs/backends/sqlite.md's configuration and code snippets work as written."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any

import pytest
from runners_sqlite import SqliteArtifactService, SqliteMemoryService, SqliteSessionService

from runners_core import BaseAgent, Runner

DOC = Path(__file__).resolve().parents[3] / "docs" / "backends" / "sqlite.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


class Quiet(BaseAgent):
    async def _run_async_impl(self, ctx: Any) -> Any:  # pragma: no cover - never run
        return
        yield


def test_the_toml_block_configures_sqlite_from_any_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (toml,) = blocks("toml")
    (tmp_path / "pyproject.toml").write_text(toml)
    sub = tmp_path / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    for name in list(os.environ):
        if name.startswith("RUNNERS_CORE_") and name.endswith("_SERVICE"):
            monkeypatch.delenv(name)
    runner = Runner.from_config(Quiet(name="quiet"), app_name="app")
    services = (runner.session_service, runner.memory_service, runner.artifact_service)
    kinds = (SqliteSessionService, SqliteMemoryService, SqliteArtifactService)
    for service, kind, name in zip(
        services, kinds, ("sessions", "memory", "artifacts"), strict=True
    ):
        assert isinstance(service, kind)
        assert service.database.settings.path == tmp_path / ".runners" / f"{name}.db"


async def test_the_python_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (code,) = blocks("python")
    namespace: dict[str, Any] = {}
    compiled = compile(code, str(DOC), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, namespace)
    if result is not None:
        await result
    sessions = namespace["sessions"]
    assert isinstance(sessions, SqliteSessionService)
    assert sessions.database.settings.busy_timeout == 10
    assert sessions.database.settings.path == tmp_path / ".runners" / "sessions.db"
