"""Where the data lives: pyproject-relative SQLite paths, read-only commands, shared defaults."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from cli_helpers import Invoke, one_line_error, require_sqlite, write_module

ECHO = """
from runners_core import BaseAgent

class Echo(BaseAgent):
    async def _run_async_impl(self, ctx):
        yield ctx.event("echo: " + ctx.user_content.text)

root_agent = Echo(name="echo")
"""


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_relative_sqlite_paths_count_from_the_pyproject_folder(
    cli: Invoke, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_sqlite()
    (isolated / "pyproject.toml").write_text(
        '[tool.runners_core]\nsession_service = "sqlite:///data/sessions.db?busy_timeout=5"\n'
    )
    write_module(isolated, "echo.py", ECHO)
    sub = isolated / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    result = cli("run", "../../echo.py", "-m", "first", "-s", "p1")
    assert result.exit_code == 0, result.output
    assert (isolated / "data" / "sessions.db").is_file()
    assert not (sub / "data").exists()

    # From the project folder, the same store: the session is there.
    monkeypatch.chdir(isolated)
    listed = cli("sessions", "list", "--app", "echo", "--json")
    assert [s["id"] for s in json.loads(listed.stdout)["sessions"]] == ["p1"]
    settings = json.loads(cli("config", "--json").stdout)["settings"]
    expected = f"sqlite:///{isolated.resolve() / 'data' / 'sessions.db'}?busy_timeout=5"
    assert settings["session_service"]["value"] == expected


def test_environment_paths_stay_relative_to_the_working_directory(
    cli: Invoke, isolated: Path
) -> None:
    (isolated / "pyproject.toml").write_text("[tool.runners_core]\n")
    result = cli("config", "--json", env={"RUNNERS_CORE_SESSION_SERVICE": "sqlite:///here.db"})
    assert json.loads(result.stdout)["settings"]["session_service"]["value"] == (
        "sqlite:///here.db"
    )


def test_read_only_commands_create_no_files(cli: Invoke, isolated: Path) -> None:
    require_sqlite()
    (isolated / "pyproject.toml").write_text(
        '[tool.runners_core]\napp_name = "shop"\nartifact_service = "file://blobs"\n'
    )
    doctor = cli("doctor", "--json")
    assert doctor.exit_code == 0, doctor.output
    checks = {c["kind"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert all(c["ok"] for c in checks.values()), checks
    assert checks["session"]["detail"].startswith("not created yet; the first run creates")
    assert str(isolated / ".runners" / "sessions.db") in checks["session"]["detail"]
    listed = cli("sessions", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)["sessions"] == []
    shown = cli("sessions", "show", "nope")
    assert shown.exit_code == 1 and "app 'shop' has no sessions" in shown.stderr
    assert files_under(isolated) == ["pyproject.toml"]
    assert not (isolated / ".runners").exists() and not (isolated / "blobs").exists()


def test_doctor_says_when_the_store_cannot_be_created(cli: Invoke, isolated: Path) -> None:
    require_sqlite()
    (isolated / "notes.txt").write_text("a file, where the URL wants a folder")
    url = f"sqlite:///{isolated / 'notes.txt' / 'sessions.db'}"
    result = cli("doctor", env={"RUNNERS_CORE_SESSION_SERVICE": url})
    assert result.exit_code == 1
    assert "does not exist and cannot be created" in one_line_error(result.stderr)


def test_from_config_and_the_command_choose_the_same_defaults(cli: Invoke, isolated: Path) -> None:
    require_sqlite()
    from runners_core import BaseAgent, Content, Runner

    class Echo(BaseAgent):
        async def _run_async_impl(self, ctx):  # type: ignore[no-untyped-def]
            yield ctx.event("echo")

    async def library_app() -> None:
        runner = Runner.from_config(Echo(name="echo"), auto_create_session=True)
        try:
            message = Content.from_text("remember oat milk")
            async for _ in runner.run_async(
                user_id="u", session_id="from-lib", new_message=message
            ):
                pass
            await runner.close_session(user_id="u", session_id="from-lib")
        finally:
            await runner.close()

    (isolated / "pyproject.toml").write_text('[tool.runners_core]\napp_name = "lib"\n')
    asyncio.run(library_app())
    # The library wrote where the command reads: sessions, memory (and artifacts) alike.
    assert {"sessions.db", "memory.db"} <= {p.name for p in (isolated / ".runners").iterdir()}
    listed = cli("sessions", "list", "--json")
    assert [s["id"] for s in json.loads(listed.stdout)["sessions"]] == ["from-lib"]
    settings = json.loads(cli("config", "--json").stdout)["settings"]
    for kind, file in (("session", "sessions"), ("memory", "memory"), ("artifact", "artifacts")):
        value = settings[f"{kind}_service"]["value"]
        assert value == f"sqlite:///{isolated.resolve() / '.runners' / file}.db"
