"""The JSON Lines session format: exact round trips between backends, and whole-file validation."""

from __future__ import annotations

import io
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import require_sqlite
from runners_cli.jsonl import (
    FORMAT,
    VERSION,
    ExportFormatError,
    export_sessions,
    file_lines,
    import_sessions,
    list_session_keys,
)

from runners_core import (
    BaseSessionService,
    Content,
    Event,
    EventActions,
    InMemorySessionService,
    Part,
    load_config,
    load_plugins,
    session_service_from_url,
)

APP = "shop"


async def populate(service: BaseSessionService, app: str = APP) -> None:
    """Two users, three sessions; scope state written in an order that replay would undo."""
    alice_b = await service.create_session(
        app_name=app, user_id="alice", session_id="b", state={"topic": "returns", "app:tier": 1}
    )
    alice_a = await service.create_session(app_name=app, user_id="alice", session_id="a")
    bob = await service.create_session(app_name=app, user_id="bob", session_id="z1")
    events = [
        (
            alice_b,
            Event(
                author="helper",
                invocation_id="e-2",
                timestamp=1002.0,
                content=Content.from_text("ok", role="model"),
                actions=EventActions(state_delta={"app:tier": 3, "user:name": "Alice"}),
            ),
        ),
        (
            bob,
            Event(
                author="user",
                timestamp=1003.0,
                content=Content.from_text("bonjour"),
                actions=EventActions(state_delta={"user:lang": "fr", "app:tier": 4}),
            ),
        ),
        (alice_a, Event(author="user", content=Content.from_text("hi"), timestamp=1004.5)),
        (
            alice_a,
            Event(
                author="helper",
                invocation_id="e-1",
                timestamp=1005.25,
                content=Content(
                    role="model",
                    parts=[
                        Part(text="here is a picture"),
                        Part.from_bytes(b"\x89PNG\x00\xff", "image/png"),
                        Part.from_function_call("lookup", {"sku": 42}, id="call-1"),
                    ],
                ),
                actions=EventActions(
                    state_delta={"step": 1, "user:name": "Al", "app:tier": 2, "temp:x": 1},
                    artifact_delta={"receipt.pdf": 0},
                    transfer_to_agent="billing",
                ),
                custom_metadata={"trace": [1, 2]},
            ),
        ),
    ]
    for session, event in events:
        await service.append_event(session, event)
    # Session "a" wrote app:tier and user:name last in time, but it is exported (and
    # replayed) first, so replay alone would leave bob's and session b's values.


async def snapshot(service: BaseSessionService, app_name: str = APP) -> dict:
    """Everything an exact copy must reproduce: every session's events and merged state."""
    page = await service.list_sessions(app_name=app_name)
    result = {}
    for listed in page.sessions:
        session = await service.get_session(
            app_name=app_name, user_id=listed.user_id, session_id=listed.id
        )
        assert session is not None
        result[(session.user_id, session.id)] = {
            "last_update_time": session.last_update_time,
            "state": session.state,
            "events": [e.model_dump(mode="json") for e in session.events],
        }
    return result


async def export_text(service: BaseSessionService, app_name: str = APP, **kw: Any) -> str:
    out = io.StringIO()
    await export_sessions(service, out, app_name=app_name, **kw)
    return out.getvalue()


def lines_of(text: str):
    return lambda: io.StringIO(text)


def without_header(text: str) -> list[str]:
    return text.splitlines()[1:]


async def test_memory_to_memory_round_trip_is_exact() -> None:
    source, target = InMemorySessionService(), InMemorySessionService()
    await populate(source)
    text = await export_text(source)

    summary = await import_sessions(target, lines_of(text))

    assert (summary.sessions, summary.events, summary.created) == (3, 4, 3)
    assert await snapshot(target) == await snapshot(source)
    assert without_header(await export_text(target)) == without_header(text)
    assert summary.scopes_restored == 1  # alice's (app and user state in one go)
    state = (await snapshot(target))[("alice", "a")]["state"]
    assert state["app:tier"] == 2 and state["user:name"] == "Al" and "temp:x" not in state


async def test_the_file_format_is_versioned_and_self_describing() -> None:
    source = InMemorySessionService()
    await populate(source)
    lines = [json.loads(line) for line in (await export_text(source)).splitlines()]
    header, first = lines[0], lines[1]
    assert header["type"] == "header"
    assert (header["format"], header["version"], header["app_name"]) == (FORMAT, VERSION, APP)
    assert first["type"] == "session" and (first["user_id"], first["id"]) == ("alice", "a")
    assert first["state"] == {"session": {"step": 1}, "app": {"tier": 2}, "user": {"name": "Al"}}
    assert first["event_count"] == 2
    assert [line["type"] for line in lines[2:4]] == ["event", "event"]
    assert lines[3]["event"]["timestamp"] == 1005.25


async def test_importing_twice_adds_nothing() -> None:
    source, target = InMemorySessionService(), InMemorySessionService()
    await populate(source)
    text = await export_text(source)
    await import_sessions(target, lines_of(text))
    again = await import_sessions(target, lines_of(text))
    assert (again.created, again.existing, again.events_skipped) == (0, 3, 4)
    assert await snapshot(target) == await snapshot(source)


async def test_an_existing_session_gets_only_its_missing_events() -> None:
    source, target = InMemorySessionService(), InMemorySessionService()
    await populate(source)
    partial = await target.create_session(app_name=APP, user_id="alice", session_id="a")
    first = (await source.get_session(app_name=APP, user_id="alice", session_id="a")).events[0]
    await target.append_event(partial, first)
    summary = await import_sessions(target, lines_of(await export_text(source)))
    assert summary.existing == 1 and summary.events_skipped == 1
    copied = await target.get_session(app_name=APP, user_id="alice", session_id="a")
    assert [e.id for e in copied.events] == [
        e.id
        for e in (await source.get_session(app_name=APP, user_id="alice", session_id="a")).events
    ]


async def test_export_filters_by_user_and_session_and_import_can_rename_the_app() -> None:
    source, target = InMemorySessionService(), InMemorySessionService()
    await populate(source)
    only_bob = await export_text(source, user_id="bob")
    assert [json.loads(line).get("id") for line in only_bob.splitlines()[1:2]] == ["z1"]
    one = await export_text(source, session_ids=["b"])
    assert sum(1 for line in one.splitlines() if '"type":"session"' in line) == 1
    await import_sessions(target, lines_of(only_bob), app_name="shop-copy")
    copied = await target.list_sessions(app_name="shop-copy")
    assert [(s.user_id, s.id) for s in copied.sessions] == [("bob", "z1")]
    assert (await target.list_sessions(app_name=APP)).sessions == []


async def test_exporting_an_unknown_session_is_an_error() -> None:
    source = InMemorySessionService()
    await populate(source)
    with pytest.raises(Exception, match="no session 'nope'"):
        await export_text(source, session_ids=["nope"])


async def test_pages_of_sessions_are_all_exported() -> None:
    source, target = InMemorySessionService(), InMemorySessionService()
    for number in range(450):  # more than two export pages
        await source.create_session(app_name=APP, user_id="u", session_id=f"s{number:03d}")
    seen = []
    out = io.StringIO()
    summary = await export_sessions(
        source, out, app_name=APP, progress=lambda done, total: seen.append((done, total))
    )
    assert summary.sessions == 450 and seen[-1] == (450, 450)
    await import_sessions(target, lines_of(out.getvalue()))
    assert len((await target.list_sessions(app_name=APP, page_size=1000)).sessions) == 450


# ---------------------------------------------------------------------------- malformed files


def good_file_lines() -> list[str]:
    header = {"type": "header", "format": FORMAT, "version": 1}
    session = {
        "type": "session",
        "app_name": APP,
        "user_id": "u",
        "id": "s1",
        "last_update_time": 5.0,
        "state": {"session": {}, "app": {}, "user": {}},
        "event_count": 2,
    }
    event = {"type": "event", "event": {"id": "e1", "author": "user", "timestamp": 1.0}}
    event2 = {"type": "event", "event": {"id": "e2", "author": "user", "timestamp": 2.0}}
    second = dict(session, id="s2", event_count=0)
    return [json.dumps(x) for x in (header, session, event, event2, second)]


def broken(index: int, replacement: str | None) -> list[str]:
    lines = good_file_lines()
    if replacement is None:
        del lines[index]
    else:
        lines[index] = replacement
    return lines


@pytest.mark.parametrize(
    ("lines", "line_number", "problem"),
    [
        (
            broken(3, '{"type": "event", "event": {"id": "e2", "author": "user"'),
            4,
            "not valid JSON",
        ),
        (broken(0, '{"type": "session"}'), 1, "must be the header"),
        (broken(0, json.dumps({"type": "header", "format": FORMAT, "version": 9})), 1, "upgrade"),
        (broken(3, None), 4, "declares 2 events but 1 follow"),
        (good_file_lines()[:3], 4, "declares 2 events but 1 follow"),
        (broken(1, None), 2, "before any session line"),
        (broken(3, broken(0, None)[1]), 4, "event id 'e1' appears twice"),
        (broken(4, broken(0, None)[0].replace('"s1"', '"s1"')), 5, "session 's1' appears twice"),
        (broken(4, broken(0, None)[3].replace('"s2"', '"bad id"')), 5, "not a valid identifier"),
        (broken(2, '{"type": "evnt", "event": {}}'), 3, "does not match any of the expected"),
        (
            broken(2, json.dumps({"type": "event", "event": {"author": "bot", "id": "x"}})),
            3,
            "has no invocation_id",
        ),
        (
            broken(2, json.dumps({"type": "event", "event": {"author": "u", "timestamp": "x"}})),
            3,
            "timestamp",
        ),
    ],
)
async def test_a_malformed_line_is_named_and_nothing_is_imported(
    tmp_path: Path, lines: list[str], line_number: int, problem: str
) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n")
    target = InMemorySessionService()
    with pytest.raises(ExportFormatError) as caught:
        await import_sessions(target, file_lines(path))
    message = str(caught.value)
    assert caught.value.line == line_number, message
    assert message.startswith(f"line {line_number}: ") and problem in message
    assert "nothing was imported" in message and "\n" not in message
    assert (await target.list_sessions(app_name=APP)).sessions == []


async def test_non_utf8_bytes_are_reported_on_their_line(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    lines = [line.encode() for line in good_file_lines()]
    lines[2] = b'{"type": "event", "event": {"id": "e1", "author": "\xff"}}'
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(ExportFormatError, match="^line 3: is not UTF-8 text"):
        await import_sessions(InMemorySessionService(), file_lines(path))


async def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    with pytest.raises(ExportFormatError, match="it is empty"):
        await import_sessions(InMemorySessionService(), file_lines(path))


# ---------------------------------------------------------------------------- across backends


@pytest.fixture(params=["sqlite", "redis", "postgresql"])
async def other_backend(request: pytest.FixtureRequest, isolated: Path):
    """A session service of another backend on a fresh schema or key prefix.

    The servers are shared (and outlive test runs), so the default PostgreSQL schema or
    Redis prefix may hold another version's data: each run gets its own, dropped after.
    """
    scheme = request.param
    if scheme == "sqlite":
        require_sqlite()
        url = f"sqlite:///{isolated / 'copy.db'}"
    else:
        url = request.getfixturevalue("pg_url" if scheme == "postgresql" else "redis_url")
    loaded = load_plugins(load_config(environ={}))
    if scheme not in loaded.registry.schemes("session"):
        pytest.fail(
            f"no plugin provides {scheme}:// sessions (bash scripts/setup.sh installs them)"
        )
    service = session_service_from_url(url, plugins=loaded)
    yield service
    await service.close()


async def test_round_trip_through_another_backend_is_exact(other_backend) -> None:
    app = f"shop-{secrets.token_hex(4)}"  # servers are shared: a fresh app per run
    source = InMemorySessionService()
    await populate(source, app)
    text = await export_text(source, app)

    await import_sessions(other_backend, lines_of(text))
    assert await snapshot(other_backend, app) == await snapshot(source, app)
    back_text = await export_text(other_backend, app)
    assert without_header(back_text) == without_header(text)

    back = InMemorySessionService()
    await import_sessions(back, lines_of(back_text))
    assert await snapshot(back, app) == await snapshot(source, app)
    for user_id, session_id in await list_session_keys(other_backend, app_name=app):
        await other_backend.delete_session(app_name=app, user_id=user_id, session_id=session_id)
