"""``runners sessions``: the signatures of the session subcommands (bodies in sessions_ops)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from runners_cli.errors import finish_command
from runners_cli.group import subcommand_group
from runners_cli.options import App, AsJson, Debug, OutputFile, SessionServiceUrl, UserFilter

if TYPE_CHECKING:
    from types import ModuleType

    from runners_cli.sessions_ops import Target

User = Annotated[
    str, typer.Option("--user", "-u", metavar="ID", help="User id the session belongs to.")
]
SessionId = Annotated[
    str, typer.Argument(metavar="SESSION", help="Session id.", show_default=False)
]


def _ops() -> ModuleType:
    from runners_cli import sessions_ops

    return sessions_ops


def _target(app: str | None, session_service: str | None) -> Target:
    return _ops().Target(app_name=app, session_service=session_service)


def list_(
    ctx: typer.Context,
    app: App = None,
    user: UserFilter = None,
    page_size: Annotated[
        int, typer.Option(metavar="N", help="Sessions per page.", min=1, max=10000)
    ] = 50,
    page_token: Annotated[
        str | None,
        typer.Option(metavar="TOKEN", help="Continue from a previous page's token."),
    ] = None,
    session_service: SessionServiceUrl = None,
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """List an app's sessions, a page at a time."""
    finish_command(
        ctx,
        debug,
        lambda state: _ops().list_sessions(
            _target(app, session_service),
            state,
            user_id=user,
            page_size=page_size,
            page_token=page_token,
            as_json=as_json,
        ),
    )


def show(
    ctx: typer.Context,
    session: SessionId,
    app: App = None,
    user: User = "user",
    last: Annotated[
        int | None, typer.Option("--last", metavar="N", help="Only the last N events.", min=0)
    ] = None,
    session_service: SessionServiceUrl = None,
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """Show one session: its state by scope and its events."""
    finish_command(
        ctx,
        debug,
        lambda state: _ops().show_session(
            _target(app, session_service),
            state,
            session_id=session,
            user_id=user,
            last=last,
            as_json=as_json,
        ),
    )


def delete(
    ctx: typer.Context,
    session: SessionId,
    app: App = None,
    user: User = "user",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    session_service: SessionServiceUrl = None,
    debug: Debug = False,
) -> None:
    """Delete one session and its events (app and user state stay)."""
    finish_command(
        ctx,
        debug,
        lambda state: _ops().delete_session(
            _target(app, session_service),
            state,
            session_id=session,
            user_id=user,
            confirm=not yes,
        ),
    )


def export(
    ctx: typer.Context,
    app: App = None,
    user: UserFilter = None,
    session: Annotated[
        list[str] | None,
        typer.Option("--session", "-s", metavar="ID", help="Only this session (repeatable)."),
    ] = None,
    output: OutputFile = None,
    session_service: SessionServiceUrl = None,
    debug: Debug = False,
) -> None:
    """Export sessions (events and state of every scope) as JSON Lines."""
    finish_command(
        ctx,
        debug,
        lambda state: _ops().export_to(
            _target(app, session_service),
            state,
            output=output,
            user_id=user,
            session_ids=list(session or []),
        ),
    )


def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An export file, or - for stdin.")],
    app: Annotated[
        str | None,
        typer.Option(
            "--app", metavar="NAME", help="Import into this app instead of the one in the file."
        ),
    ] = None,
    session_service: SessionServiceUrl = None,
    debug: Debug = False,
) -> None:
    """Import sessions from a JSON Lines export; the whole file is checked first."""
    finish_command(
        ctx,
        debug,
        lambda state: _ops().import_from(_target(app, session_service), state, source=file),
    )


def build_sessions_app() -> typer.Typer:
    sessions = subcommand_group("List, show, delete, export and import sessions.")
    sessions.command("list")(list_)
    sessions.command()(show)
    sessions.command()(delete)
    sessions.command()(export)
    sessions.command("import")(import_)
    return sessions
