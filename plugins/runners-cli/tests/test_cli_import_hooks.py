"""Copies of stored events skip the persistence hooks (docs/hooks.md, before_append_event).

A plugin that transforms what is stored (here: wraps each event's text, as an encrypting
plugin would) must not be applied a second time when the stored events are copied:
``runners sessions import``, ``runners import`` and ``runners migrate`` write them as
exported. A second pass would, for example, encrypt them twice.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import ASSISTANT, Invoke

WRAPPER = """
from pathlib import Path
from runners_core import hookimpl

COUNT = Path(__file__).with_name("appended.count")


@hookimpl
def before_append_event(event):
    content = event.content
    if content is None or not content.parts or not content.parts[0].text:
        return None
    part = content.parts[0].model_copy(update={"text": "<" + content.parts[0].text + ">"})
    return event.model_copy(update={"content": content.model_copy(update={"parts": [part]})})


@hookimpl
def after_append_event(event):
    COUNT.write_text(str(int(COUNT.read_text() if COUNT.exists() else "0") + 1))
"""


def texts(cli: Invoke, env: dict[str, str], app: str = "assistant") -> list[str]:
    dump = cli("sessions", "export", "--app", app, env=env)
    assert dump.exit_code == 0, dump.output
    lines = [json.loads(line) for line in dump.stdout.splitlines()]
    return [
        part["text"]
        for line in lines
        if line["type"] == "event" and line["event"].get("content")
        for part in line["event"]["content"]["parts"]
        if part.get("text")
    ]


def test_imports_and_migrations_do_not_run_the_persistence_hooks_again(
    cli: Invoke, install_plugin, isolated: Path
) -> None:
    module = install_plugin("wrapper", WRAPPER)
    count = module.with_name("appended.count")
    source = {
        "RUNNERS_CORE_SESSION_SERVICE": f"sqlite:///{isolated / 'a.db'}",
        "RUNNERS_CORE_MEMORY_SERVICE": f"sqlite:///{isolated / 'a-mem.db'}",
        "RUNNERS_CORE_ARTIFACT_SERVICE": f"sqlite:///{isolated / 'a-art.db'}",
    }
    ran = cli("run", ASSISTANT, "-m", "hello", "--session", "s1", env=source)
    assert ran.exit_code == 0, ran.output
    stored = texts(cli, source)
    assert stored and all(t.startswith("<") and not t.startswith("<<") for t in stored), stored
    appended = count.read_text()

    export = isolated / "sessions.jsonl"
    assert (
        cli("sessions", "export", "--app", "assistant", "-o", str(export), env=source).exit_code
        == 0
    )
    copy = {"RUNNERS_CORE_SESSION_SERVICE": f"sqlite:///{isolated / 'b.db'}"}
    imported = cli("sessions", "import", str(export), env=copy)
    assert imported.exit_code == 0, imported.output
    assert texts(cli, copy) == stored

    app_file = isolated / "app.jsonl"
    exported = cli("export", "--app", "assistant", "-o", str(app_file), env=source)
    assert exported.exit_code == 0, exported.output
    target = {
        "RUNNERS_CORE_SESSION_SERVICE": f"sqlite:///{isolated / 'c.db'}",
        "RUNNERS_CORE_MEMORY_SERVICE": f"sqlite:///{isolated / 'c-mem.db'}",
        "RUNNERS_CORE_ARTIFACT_SERVICE": f"sqlite:///{isolated / 'c-art.db'}",
    }
    app_import = cli("import", str(app_file), env=target)
    assert app_import.exit_code == 0, app_import.output
    assert texts(cli, target) == stored

    migrated = cli(
        "migrate",
        "--app",
        "assistant",
        "--from",
        f"sqlite:///{isolated / 'a.db'}",
        "--to",
        f"sqlite:///{isolated / 'd.db'}",
    )
    assert migrated.exit_code == 0, migrated.output
    assert texts(cli, {"RUNNERS_CORE_SESSION_SERVICE": f"sqlite:///{isolated / 'd.db'}"}) == stored
    assert count.read_text() == appended  # no after_append_event for any copy
