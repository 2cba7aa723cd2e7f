"""docs/backends/postgres.md's configuration and code snippets work as written.

The doc's role, host and database (``app``, ``db.internal``, ``agents``) are replaced by
the test server's, and its schema by this test's own; nothing else is changed.
"""

from __future__ import annotations

import ast
import asyncio
import os
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
from runners_postgres import (
    LATEST,
    PostgresArtifactService,
    PostgresMemoryService,
    PostgresSessionService,
)

from runners_core import BaseAgent, Runner

DOC = Path(__file__).resolve().parents[3] / "docs" / "backends" / "postgres.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def localised(text: str, server: str, schema: str) -> str:
    user, rest = server.split("://", 1)[1].split("@", 1)  # postgres, 127.0.0.1:5432/test
    host, database = rest.split("/", 1)
    text = re.sub(r"app@db(\.internal)?(:5432)?/agents", f"{user}@{host}/{database}", text)
    return text.replace("schema=runners", f"schema={schema}")


class Quiet(BaseAgent):
    async def _run_async_impl(self, ctx: Any) -> Any:  # pragma: no cover - never run
        return
        yield


async def test_the_toml_block_configures_postgres(
    pg_server: str, pg_schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (toml,) = blocks("toml")
    (tmp_path / "pyproject.toml").write_text(localised(toml, pg_server, pg_schema))
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("RUNNERS_CORE_") and name.endswith("_SERVICE"):
            monkeypatch.delenv(name)
    runner = Runner.from_config(Quiet(name="quiet"), app_name="app")
    try:
        kinds = (PostgresSessionService, PostgresMemoryService, PostgresArtifactService)
        services = (runner.session_service, runner.memory_service, runner.artifact_service)
        for service, kind in zip(services, kinds, strict=True):
            assert isinstance(service, kind)
        await runner.session_service.create_session(app_name="app", user_id="u", session_id="s")
    finally:
        await runner.close()


def test_the_python_snippets_run(pg_server: str, pg_schema: str, admin: psycopg.Connection) -> None:
    service_snippet, migrate_snippet = blocks("python")
    namespace: dict[str, Any] = {}
    for code in (service_snippet, localised(migrate_snippet, pg_server, pg_schema)):
        compiled = compile(code, str(DOC), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(compiled, namespace)
        if result is not None:  # the snippet awaits: run it as asyncio.run would
            asyncio.run(result)
    settings = namespace["sessions"]._db.settings
    assert settings.schema == "tenant_a" and settings.redacted == "postgresql://app:***@db/agents"
    assert (namespace["result"].before, namespace["result"].after) == (0, LATEST)
    row = admin.execute(
        "SELECT max(version) FROM "
        + psycopg.sql.Identifier(pg_schema).as_string(admin)
        + ".schema_version"
    ).fetchone()
    assert row == (LATEST,)
