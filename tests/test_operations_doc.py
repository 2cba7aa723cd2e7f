"""docs/operations.md: its snippets run as written."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "operations.md"
BIN = Path(sys.executable).parent


def section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def commands(text: str) -> list[str]:
    return [
        line.removeprefix("$ ")
        for block in blocks(text, "console")
        for line in block.splitlines()
        if line.startswith("$ ")
    ]


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    program, *args = command.split(" ", 1)
    argv = [str(BIN / program)] + (_split(args[0]) if args else [])
    # As a newcomer's shell: none of the test suite's RUNNERS_CORE_* isolation settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNERS_CORE_")}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _split(args: str) -> list[str]:
    import shlex

    return shlex.split(args)


def test_trace_a_run_in_the_console(tmp_path: Path):
    text = section("Trace a run in the console")
    install, runners_run = commands(text)
    assert install == "pip install -e plugins/runners-otel"  # done by scripts/setup.sh
    (tmp_path / "pyproject.toml").write_text(blocks(text, "toml")[0])
    shutil.copy(ROOT / "examples" / "assistant.py", tmp_path)  # the folder's copy
    result = run(runners_run, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "assistant: Hello!" in out
    # JSON Lines: one line of JSON per span, printed when the span ends (the child first),
    # and one per metrics export.
    documents = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    spans = [document for document in documents if "name" in document]
    assert [span["name"] for span in spans] == ["invoke_agent assistant", "invocation assistant"]
    agent, invocation = spans
    assert agent["parent_id"] == invocation["context"]["span_id"]
    assert invocation["resource"]["attributes"]["service.name"] == "assistant"
    assert invocation["attributes"]["runners.outcome"] == "ok"
    assert [event["name"] for event in agent["events"]] == ["event"]  # the reply, stored
    metrics = [document for document in documents if "resource_metrics" in document]
    assert metrics and len(spans) + len(metrics) == len(documents)
    assert '"name": "runners.invocations"' in out  # metrics, when the runner closes


def test_prune_with_a_dry_run_first(tmp_path: Path):
    text = section("Prune with a dry run first")
    (tmp_path / "pyproject.toml").write_text(blocks(text, "toml")[0])
    shutil.copy(ROOT / "examples" / "assistant.py", tmp_path)  # the folder's copy
    first, second, dry_run, real = commands(text)
    for turn in (first, second):
        result = run(turn, tmp_path)
        assert result.returncode == 0, result.stderr
    before = stored_rows(tmp_path)
    dry = run(dry_run, tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "would delete" in dry.stdout and "nothing was deleted" in dry.stdout
    assert stored_rows(tmp_path) == before
    done = run(real, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "deleted" in done.stdout and "dry run" not in done.stdout

    def rows(out: str) -> dict[str, str]:
        found = {}
        for line in out.splitlines():
            cells = [c.strip() for c in line.strip("│|").split("│")]
            if len(cells) == 2 and cells[1].isdigit():
                found[cells[0]] = cells[1]
        return found

    assert rows(dry.stdout) == rows(done.stdout)
    assert stored_rows(tmp_path) != before
    assert rows(done.stdout)["events"] == rows(done.stdout)["events moved to memory"] != "0"
    assert rows(done.stdout)["artifact versions"] == "1"


def stored_rows(folder: Path) -> list[int]:
    """Rows of events, artifacts and memories in the embedded SQLite files."""
    import sqlite3

    found = []
    for name, table in (("sessions", "events"), ("artifacts", "artifacts"), ("memory", "memories")):
        with sqlite3.connect(folder / ".runners" / f"{name}.db") as conn:
            found.append(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return found


def test_migrate_the_example_app_from_sqlite_to_postgresql(tmp_path: Path):
    import pytest

    psycopg = pytest.importorskip("psycopg")
    text = section("Move an app between backends")
    (tmp_path / "pyproject.toml").write_text(blocks(text, "toml")[0])
    shutil.copy(ROOT / "examples" / "assistant.py", tmp_path)  # the folder's copy
    first, second, migrate, listing, notes = commands(text)
    for turn in (first, second):
        result = run(turn, tmp_path)
        assert result.returncode == 0, result.stderr
    server = os.environ.get(
        "RUNNERS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    )
    documented = "postgresql://postgres@127.0.0.1:5432/test"
    assert migrate.endswith(documented)
    schema = f"opsdoc_{os.getpid()}"
    try:
        psycopg.connect(server, connect_timeout=5).close()
    except psycopg.Error as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL at {server} is unreachable ({exc})")
    # The documented command, on a schema of its own (the server is shared by tests).
    command = migrate.replace(documented, f"{server}?schema={schema}")
    try:
        done = run(command, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        out = " ".join(done.stdout.split())  # the console wraps long lines
        assert "verified: counts and checksums match" in out
        assert "2 sessions created" in out and "password" not in out
        again = " ".join(run(command, tmp_path).stdout.split())
        assert "0 sessions created (2 existed), 0 events written" in again
        # Then the app points at PostgreSQL, as the second toml block says.
        switch = blocks(text, "toml")[1]
        assert switch.count(documented) == 3
        pyproject = tmp_path / "pyproject.toml"
        switch = switch.replace(documented, f"{server}?schema={schema}")
        pyproject.write_text(pyproject.read_text() + switch)
        listed = run(listing, tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert "demo" in listed.stdout and "other" in listed.stdout
        read = run(notes, tmp_path)
        assert read.returncode == 0, read.stderr
        assert "- buy milk" in read.stdout  # the migrated artifact, loaded from PostgreSQL
    finally:
        from psycopg import sql

        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
