"""``runners sessions list|show|delete|export|import`` through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import ASSISTANT, Invoke, json_lines, one_line_error, require_sqlite, run_cli


@pytest.fixture
def backend(shared_backend: str) -> dict[str, str]:
    """Environment that puts every service on the process-wide ``shared://`` test backend."""
    return {
        "RUNNERS_CORE_SESSION_SERVICE": f"{shared_backend}main",
        "RUNNERS_CORE_MEMORY_SERVICE": f"{shared_backend}main",
        "RUNNERS_CORE_ARTIFACT_SERVICE": f"{shared_backend}main",
    }


def chat(cli: Invoke, env: dict[str, str], session: str, *messages: str, user: str = "user"):
    for message in messages:
        result = cli("run", ASSISTANT, "-m", message, "-s", session, "-u", user, env=env)
        assert result.exit_code == 0, result.output


def test_list_pages_through_sessions_and_filters_by_user(cli: Invoke, backend) -> None:
    for number in range(3):
        chat(cli, backend, f"s{number}", "hello")
    chat(cli, backend, "other", "hello", user="bob")

    first = cli("sessions", "list", "--app", "assistant", "--page-size", "2", "--json", env=backend)
    assert first.exit_code == 0, first.output
    page = json.loads(first.stdout)
    assert [(s["user_id"], s["id"]) for s in page["sessions"]] == [("bob", "other"), ("user", "s0")]
    assert page["sessions"][1]["state"]["turns"] == 1
    rest = cli(
        "sessions", "list", "--app", "assistant", "--page-size", "2",
        "--page-token", page["next_page_token"], "--json", env=backend,
    )  # fmt: skip
    assert [s["id"] for s in json.loads(rest.stdout)["sessions"]] == ["s1", "s2"]
    assert json.loads(rest.stdout)["next_page_token"] is None

    bob = cli("sessions", "list", "--app", "assistant", "-u", "bob", env=backend)
    assert "other" in bob.stdout and "s0" not in bob.stdout

    table = cli("sessions", "list", "--app", "assistant", "--page-size", "2", env=backend)
    assert f"--page-token {page['next_page_token']}" in table.stdout


def test_show_prints_state_by_scope_and_the_events(cli: Invoke, backend) -> None:
    chat(cli, backend, "demo", "hello", "note water the plants")
    shown = cli("sessions", "show", "demo", "--app", "assistant", env=backend)
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert "session demo · app assistant · user user" in out
    for scope, key in (("session", "turns"), ("session", "notes"), ("user", "turns")):
        assert any(scope in line and key in line for line in out.splitlines()), (scope, key)
    assert "you: note water the plants" in out
    assert "notetaker: Noted: 'water the plants'" in out
    assert "artifact saved: notes.md (version 0)" in out

    as_json = cli("sessions", "show", "demo", "--app", "assistant", "--json", env=backend)
    session = json.loads(as_json.stdout)
    assert session["state"]["app:turns"] == 2 and len(session["events"]) == 5

    last = cli(
        "sessions", "show", "demo", "--app", "assistant", "--last", "1", "--json", env=backend
    )
    assert [e["author"] for e in json.loads(last.stdout)["events"]] == ["notetaker"]


def test_delete_needs_confirmation_without_a_terminal(cli: Invoke, backend) -> None:
    chat(cli, backend, "gone", "hello")
    refused = cli("sessions", "delete", "gone", "--app", "assistant", env=backend)
    assert refused.exit_code == 1 and "pass --yes" in one_line_error(refused.stderr)
    deleted = cli("sessions", "delete", "gone", "--app", "assistant", "--yes", env=backend)
    assert deleted.exit_code == 0 and "deleted session gone" in deleted.stdout
    again = cli("sessions", "delete", "gone", "--app", "assistant", "--yes", env=backend)
    assert again.exit_code == 1 and "no session 'gone'" in one_line_error(again.stderr)
    missing = cli("sessions", "show", "gone", "--app", "assistant", env=backend)
    assert missing.exit_code == 1 and "no session 'gone'" in one_line_error(missing.stderr)


def test_the_app_must_be_named(cli: Invoke, backend) -> None:
    result = cli("sessions", "list", env=backend)
    assert result.exit_code == 1
    assert "pass --app NAME" in one_line_error(result.stderr)


def test_export_then_import_into_another_backend_reproduces_the_sessions(
    cli: Invoke, backend, isolated: Path
) -> None:
    chat(cli, backend, "a", "hello", "note one", "notes")
    chat(cli, backend, "b", "hello", user="bob")
    export = isolated / "export.jsonl"
    result = cli("sessions", "export", "--app", "assistant", "-o", str(export), env=backend)
    assert result.exit_code == 0, result.output
    # a: hello (2 events), note (user, assistant's transfer, notetaker: 3),
    # notes (user, notetaker's transfer back, assistant: 3); b: hello (2).
    assert "exported 2 sessions, 10 events" in result.stderr

    other = {"RUNNERS_CORE_SESSION_SERVICE": "shared://copy"}
    imported = cli("sessions", "import", str(export), env=other)
    assert imported.exit_code == 0, imported.output
    assert "imported 2 sessions" in imported.stderr

    original = cli("sessions", "export", "--app", "assistant", env=backend).stdout
    copied = cli("sessions", "export", "--app", "assistant", env=other).stdout
    assert json_lines(copied)[1:] == json_lines(original)[1:]
    assert len(json_lines(copied)) == 1 + 2 + 10  # header, sessions, events


def test_import_from_stdin_into_a_renamed_app(cli: Invoke, backend) -> None:
    chat(cli, backend, "a", "hello")
    dump = cli("sessions", "export", "--app", "assistant", env=backend).stdout
    result = cli("sessions", "import", "-", "--app", "copy", input=dump, env=backend)
    assert result.exit_code == 0, result.output
    listed = cli("sessions", "list", "--app", "copy", "--json", env=backend)
    assert [s["id"] for s in json.loads(listed.stdout)["sessions"]] == ["a"]


def test_a_malformed_import_names_the_line_and_imports_nothing(
    cli: Invoke, backend, isolated: Path
) -> None:
    chat(cli, backend, "a", "hello")
    chat(cli, backend, "b", "hello")
    lines = cli("sessions", "export", "--app", "assistant", env=backend).stdout.splitlines()
    lines[-1] = lines[-1][:-10]  # the last session's last event, cut short
    bad = isolated / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")

    target = {"RUNNERS_CORE_SESSION_SERVICE": "shared://target"}
    result = cli("sessions", "import", str(bad), env=target)
    assert result.exit_code == 1
    line = one_line_error(result.stderr)
    assert line.startswith(f"error: line {len(lines)}: not valid JSON")
    assert "nothing was imported" in line
    listed = cli("sessions", "list", "--app", "assistant", "--json", env=target)
    assert json.loads(listed.stdout)["sessions"] == []


def test_a_missing_import_file_is_one_line(cli: Invoke) -> None:
    result = cli("sessions", "import", "nope.jsonl")
    assert result.exit_code == 1
    assert "import file nope.jsonl does not exist" in one_line_error(result.stderr)


def test_sessions_between_memory_and_embedded_sqlite_via_the_command(isolated: Path) -> None:
    require_sqlite()
    first = run_cli("run", ASSISTANT, "-m", "note buy bread", "-s", "k", cwd=isolated)
    assert first.returncode == 0, first.stderr
    export = run_cli("sessions", "export", "--app", "assistant", "-o", "out.jsonl", cwd=isolated)
    assert export.returncode == 0, export.stderr
    listed = run_cli("sessions", "list", "--app", "assistant", "--json", cwd=isolated)
    assert [s["id"] for s in json.loads(listed.stdout)["sessions"]] == ["k"]

    copy_url = f"sqlite:///{isolated / 'copy.db'}"
    into = run_cli("sessions", "import", "out.jsonl", "--session-service", copy_url, cwd=isolated)
    assert into.returncode == 0, into.stderr
    again = run_cli(
        "sessions", "export", "--app", "assistant", "--session-service", copy_url, cwd=isolated
    )
    assert json_lines(again.stdout)[1:] == json_lines((isolated / "out.jsonl").read_text())[1:]
