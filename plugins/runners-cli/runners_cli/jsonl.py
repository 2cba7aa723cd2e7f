"""Sessions as JSON Lines: a versioned export format that moves sessions between backends.

The file is one JSON object per line::

    {"type": "header", "format": "runners-core/sessions", "version": 1, "exported_at": ...}
    {"type": "session", "app_name": ..., "user_id": ..., "id": ..., "last_update_time": ...,
     "state": {"session": {...}, "app": {...}, "user": {...}}, "event_count": 2}
    {"type": "event", "event": {...an Event, exactly as stored...}}
    {"type": "event", "event": {...}}
    {"type": "session", ...}

Each session line carries the three state scopes as they were when it was
exported (``app``/``user`` keys without their prefix) and the number of event
lines that follow it, so a truncated file is detected. Events keep their ids
and timestamps.

Importing validates the whole file before writing anything, then writes each
session through the public :class:`~runners_core.BaseSessionService` API:
``create_session`` with the session-scope state, then ``append_event`` for every
event (appends are idempotent by event id, so importing a file twice changes
nothing). Replaying the events leaves every session-scope key at its exported
value; app and user state, which other sessions also write, are compared at
the end and put back to the exported values where the replay left them
different. Only sessions move: memory and artifacts are not part of the format.

This module knows nothing about the command line; ``runners sessions export``
and ``import`` are thin wrappers around :func:`export_sessions` and
:func:`import_sessions`.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from runners_cli.line_files import (
    LineFormatError,
    StrictLine,
    numbered_lines,
    refuse_newer_version,
)
from runners_core.errors import RunnersError, SessionExistsError
from runners_core.events import Event
from runners_core.sessions.base import BaseSessionService, check_event
from runners_core.sessions.session import GetSessionConfig, Session
from runners_core.sessions.state import State, split_state_delta

FORMAT = "runners-core/sessions"
VERSION = 1
PAGE_SIZE = 200

# (done, total) after each session; total is None while unknown.
Progress = Callable[[int, int | None], None]


class ExportFormatError(LineFormatError):
    """An import file is malformed; ``line`` is its 1-based line number (0: the whole file)."""

    file_format = FORMAT
    file_version = VERSION


# ---------------------------------------------------------------------------- line models


class HeaderLine(StrictLine):
    type: Literal["header"]
    format: Literal["runners-core/sessions"]
    version: int = Field(ge=1)
    exported_at: float | None = None
    app_name: str | None = None


class ScopedState(StrictLine):
    session: dict[str, Any] = Field(default_factory=dict)
    app: dict[str, Any] = Field(default_factory=dict)
    user: dict[str, Any] = Field(default_factory=dict)


class SessionLine(StrictLine):
    type: Literal["session"]
    app_name: str
    user_id: str
    id: str
    last_update_time: float
    state: ScopedState
    event_count: int = Field(ge=0)


class EventLine(StrictLine):
    type: Literal["event"]
    event: Event


_BODY = TypeAdapter(Annotated[SessionLine | EventLine, Field(discriminator="type")])


@dataclass
class ExportedSession:
    """One session read back from a file: its line, its events, where it started."""

    line: SessionLine
    events: list[Event] = field(default_factory=list)
    line_number: int = 0


@dataclass
class ExportSummary:
    sessions: int = 0
    events: int = 0


@dataclass
class ImportSummary:
    sessions: int = 0
    events: int = 0
    created: int = 0
    existing: int = 0
    events_skipped: int = 0
    scopes_restored: int = 0


# ---------------------------------------------------------------------------- export


def session_line(session: Session) -> SessionLine:
    scoped = split_state_delta(session.state)
    return SessionLine(
        type="session",
        app_name=session.app_name,
        user_id=session.user_id,
        id=session.id,
        last_update_time=session.last_update_time,
        state=ScopedState(session=scoped.session, app=scoped.app, user=scoped.user),
        event_count=len(session.events),
    )


def _dump(model: BaseModel) -> str:
    return model.model_dump_json(exclude_none=True)


async def list_session_keys(
    service: BaseSessionService, *, app_name: str, user_id: str | None = None
) -> list[tuple[str, str]]:
    """``(user_id, session_id)`` of every session of the app (of one user, if given)."""
    keys: list[tuple[str, str]] = []
    token: str | None = None
    while True:
        page = await service.list_sessions(
            app_name=app_name, user_id=user_id, page_size=PAGE_SIZE, page_token=token
        )
        keys.extend((s.user_id, s.id) for s in page.sessions)
        token = page.next_page_token
        if not token:
            return keys


async def export_sessions(
    service: BaseSessionService,
    out: IO[str],
    *,
    app_name: str,
    user_id: str | None = None,
    session_ids: Sequence[str] = (),
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the app's sessions (optionally of one user, or only *session_ids*) to *out*."""
    keys = await list_session_keys(service, app_name=app_name, user_id=user_id)
    if session_ids:
        wanted = set(session_ids)
        keys = [key for key in keys if key[1] in wanted]
        missing = wanted - {key[1] for key in keys}
        if missing:
            owner = f" of user {user_id!r}" if user_id else ""
            raise RunnersError(
                f"no session {sorted(missing)[0]!r}{owner} in app {app_name!r}; list them "
                "with 'runners sessions list'"
            )
    header = HeaderLine(
        type="header", format=FORMAT, version=VERSION, exported_at=time.time(), app_name=app_name
    )
    out.write(_dump(header) + "\n")
    summary = ExportSummary()
    if progress:
        progress(0, len(keys))
    for number, (owner, session_id) in enumerate(keys, 1):
        session = await service.get_session(app_name=app_name, user_id=owner, session_id=session_id)
        if session is not None:  # deleted since it was listed: nothing to export
            out.write(_dump(session_line(session)) + "\n")
            for event in session.events:
                out.write(_dump(EventLine(type="event", event=event)) + "\n")
            summary.sessions += 1
            summary.events += len(session.events)
        if progress:
            progress(number, len(keys))
    return summary


# ---------------------------------------------------------------------------- reading


def _problem(exc: PydanticValidationError) -> str:
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "line"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


def _check_ids(number: int, line: SessionLine) -> None:
    from runners_core.identifiers import validate_id

    for kind, value in (("app_name", line.app_name), ("user_id", line.user_id), ("id", line.id)):
        try:
            validate_id("session_id" if kind == "id" else kind, value)
        except RunnersError as exc:
            raise ExportFormatError(number, str(exc)) from None


def _check_header(number: int, text: str) -> HeaderLine:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportFormatError(
            number, f"not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if not isinstance(raw, dict) or raw.get("type") != "header":
        raise ExportFormatError(
            number,
            f'the first line must be the header {{"type": "header", "format": "{FORMAT}"'
            ", ...}; this is not a runners sessions export",
        )
    refuse_newer_version(number, raw, ExportFormatError)
    try:
        return HeaderLine.model_validate(raw)
    except PydanticValidationError as exc:
        raise ExportFormatError(number, f"bad header: {_problem(exc)}") from None


def read_export(lines: Iterable[str]) -> Iterator[ExportedSession]:
    """Parse and check an export, yielding one session (with its events) at a time.

    Raises :class:`ExportFormatError` naming the first bad line. Callers that
    must not act on a partly valid file consume the whole iterator first.
    """
    current: ExportedSession | None = None
    seen: set[tuple[str, str, str]] = set()
    event_ids: set[str] = set()
    header_seen = False
    number = 0

    def finished(session: ExportedSession, at: int) -> ExportedSession:
        expected, found = session.line.event_count, len(session.events)
        if found != expected:
            raise ExportFormatError(
                at,
                f"session {session.line.id!r} (line {session.line_number}) declares "
                f"{expected} events but {found} follow; the file is truncated or was edited",
            )
        return session

    for number, text in numbered_lines(lines, ExportFormatError):
        if not text.strip():
            continue
        if not header_seen:
            _check_header(number, text)
            header_seen = True
            continue
        try:
            line = _BODY.validate_json(text)
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            if first["type"] == "json_invalid":
                raise ExportFormatError(number, f"not valid JSON ({first['msg']})") from None
            raise ExportFormatError(number, _problem(exc)) from None
        if isinstance(line, SessionLine):
            if current is not None:
                yield finished(current, number)
            _check_ids(number, line)
            key = (line.app_name, line.user_id, line.id)
            if key in seen:
                raise ExportFormatError(number, f"session {line.id!r} appears twice")
            seen.add(key)
            current = ExportedSession(line, line_number=number)
            event_ids = set()
            continue
        if current is None:
            raise ExportFormatError(
                number, "an event line comes before any session line; events follow their session"
            )
        event = line.event
        if event.partial:
            raise ExportFormatError(
                number, f"event {event.id} is partial; partial events are never stored"
            )
        try:
            check_event(event)
        except RunnersError as exc:
            raise ExportFormatError(number, str(exc)) from None
        if event.id in event_ids:
            raise ExportFormatError(
                number, f"event id {event.id!r} appears twice in session {current.line.id!r}"
            )
        event_ids.add(event.id)
        current.events.append(event)
    if not header_seen:
        raise ExportFormatError(0, "it is empty; expected a header line and sessions")
    if current is not None:
        yield finished(current, number + 1)


def validate_export(open_lines: Callable[[], Iterable[str]]) -> ImportSummary:
    """Check a whole export without writing anything; counts what it holds."""
    summary = ImportSummary()
    for exported in read_export(open_lines()):
        summary.sessions += 1
        summary.events += len(exported.events)
    return summary


# ---------------------------------------------------------------------------- import


_NO = object()  # "key absent", distinct from a stored None


@dataclass
class _Scopes:
    """The exported app and user state, to compare with what the replay produced."""

    app: dict[str, dict[str, Any]] = field(default_factory=dict)
    user: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    some_session: dict[tuple[str, str], str] = field(default_factory=dict)


async def _write_session(
    service: BaseSessionService, exported: ExportedSession, app_name: str, summary: ImportSummary
) -> None:
    line = exported.line
    try:
        session = await service.create_session(
            app_name=app_name, user_id=line.user_id, session_id=line.id, state=line.state.session
        )
        summary.created += 1
    except SessionExistsError:
        session = await service.get_session(
            app_name=app_name, user_id=line.user_id, session_id=line.id
        )
        if session is None:  # deleted in between: try once more from scratch
            session = await service.create_session(
                app_name=app_name,
                user_id=line.user_id,
                session_id=line.id,
                state=line.state.session,
            )
            summary.created += 1
        else:
            summary.existing += 1
    before = len(session.events)
    for event in exported.events:
        await service.append_event(session, event)
    summary.events_skipped += len(exported.events) - (len(session.events) - before)


async def _restore_scopes(service: BaseSessionService, scopes: _Scopes) -> int:
    """Put app and user state back where replaying other sessions' events changed them."""
    restored = 0
    app_done: set[str] = set()
    for (app_name, user_id), wanted_user in scopes.user.items():
        session = await service.get_session(
            app_name=app_name,
            user_id=user_id,
            session_id=scopes.some_session[(app_name, user_id)],
            config=GetSessionConfig(num_recent_events=0),
        )
        current = split_state_delta(session.state if session else {})
        fix: dict[str, Any] = {
            State.USER_PREFIX + k: v
            for k, v in wanted_user.items()
            if current.user.get(k, _NO) != v
        }
        if app_name not in app_done:
            app_done.add(app_name)
            fix.update(
                {
                    State.APP_PREFIX + k: v
                    for k, v in scopes.app[app_name].items()
                    if current.app.get(k, _NO) != v
                }
            )
        if not fix:
            continue
        # create_session applies app:/user: keys to their scopes; the carrier
        # session itself is removed again (app and user state stay).
        carrier = f"import-scope-{secrets.token_hex(8)}"
        await service.create_session(
            app_name=app_name, user_id=user_id, session_id=carrier, state=fix
        )
        await service.delete_session(app_name=app_name, user_id=user_id, session_id=carrier)
        restored += 1
    return restored


async def import_sessions(
    service: BaseSessionService,
    open_lines: Callable[[], Iterable[str]],
    *,
    app_name: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Validate the whole export, then write it; *app_name* renames the app on the way.

    *open_lines* is called twice (validation, then writing) and must return the
    same lines each time, e.g. ``lambda: path.open(encoding="utf-8")``.
    """
    expected = validate_export(open_lines)
    summary = ImportSummary()
    scopes = _Scopes()
    if progress:
        progress(0, expected.sessions)
    for exported in read_export(open_lines()):
        line = exported.line
        target = app_name or line.app_name
        await _write_session(service, exported, target, summary)
        summary.sessions += 1
        summary.events += len(exported.events)
        scopes.app[target] = line.state.app
        scopes.user[(target, line.user_id)] = line.state.user
        scopes.some_session[(target, line.user_id)] = line.id
        if progress:
            progress(summary.sessions, expected.sessions)
    summary.scopes_restored = await _restore_scopes(service, scopes)
    return summary


def file_lines(path: Path) -> Callable[[], Iterable[str]]:
    """A reopener for :func:`import_sessions` that reads *path* as UTF-8."""

    def open_lines() -> Iterator[str]:
        # Decoded line by line, so a bad byte is reported on its own line number.
        with path.open("rb") as handle:
            for raw in handle:
                yield raw.decode("utf-8-sig")

    return open_lines
