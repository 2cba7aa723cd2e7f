"""``runners sessions ...``: list, show, delete, export and import sessions of a backend."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from rich.console import Console
from rich.table import Table
from rich.text import Text

from runners_cli.errors import CliError, CliState

if TYPE_CHECKING:
    from collections.abc import Iterator

    from runners_cli.jsonl import Progress
    from runners_core.sessions.base import BaseSessionService

T = TypeVar("T")


@dataclass
class Target:
    """Which backend and app a sessions command works on."""

    app_name: str | None
    session_service: str | None


def resolve_app(given: str | None, configured: str | None) -> str:
    from runners_core.identifiers import validate_id

    app_name = given or configured
    if not app_name:
        raise CliError(
            "which app? pass --app NAME (runners run uses the root agent's name unless "
            "--app is given), or set app_name in [tool.runners_core]"
        )
    return validate_id("app_name", app_name)


@asynccontextmanager
async def opened(
    target: Target, state: CliState, *, require_app: bool = True, read_only: bool = False
) -> AsyncIterator[tuple[BaseSessionService | None, Any]]:
    """The session service and app name for *target*, closed afterwards.

    Without *require_app* the app name may be None (import takes it from the file).
    With *read_only*, a local store that does not exist yet is not created: the
    service is None (nothing is stored there).
    """
    from runners_cli.services import build_service, choose_services, missing_store, prepare
    from runners_core.config import load_config
    from runners_core.plugins.manager import load_plugins

    state.watch_urls([target.session_service])
    config = load_config({"session_service": target.session_service})
    state.watch_urls([config.session_service])
    if require_app or target.app_name or config.app_name:
        app_name = resolve_app(target.app_name, config.app_name)
    else:
        app_name = None
    loaded = load_plugins(config)
    choices = choose_services(config, loaded)
    choice = choices["session"]
    if read_only and missing_store(choice) is not None:
        yield None, app_name
        return
    prepare({"session": choice}, loaded=loaded)
    service = build_service(choice, loaded)
    try:
        yield service, app_name
    finally:
        await service.close()


def _run(
    target: Target,
    state: CliState,
    work: Callable[..., Awaitable[T]],
    *,
    require_app: bool = True,
    read_only: bool = False,
) -> T:
    async def main() -> T:
        async with opened(target, state, require_app=require_app, read_only=read_only) as (
            service,
            app_name,
        ):
            return await work(service, app_name)

    return asyncio.run(main())


# ---------------------------------------------------------------------------- list / show / delete


def list_sessions(
    target: Target,
    state: CliState,
    *,
    user_id: str | None,
    page_size: int,
    page_token: str | None,
    as_json: bool,
) -> int:
    from runners_core.sessions.session import ListSessionsResponse

    async def work(service: BaseSessionService | None, app_name: str) -> Any:
        if service is None:  # no database yet: nothing stored, and nothing created
            return app_name, ListSessionsResponse()
        return app_name, await service.list_sessions(
            app_name=app_name, user_id=user_id, page_size=page_size, page_token=page_token
        )

    app_name, page = _run(target, state, work, read_only=True)
    if as_json:
        payload = {
            "app_name": app_name,
            "sessions": [
                {
                    "user_id": s.user_id,
                    "id": s.id,
                    "last_update_time": s.last_update_time,
                    "state": s.state,
                }
                for s in page.sessions
            ],
            "next_page_token": page.next_page_token,
        }
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
        return 0
    from runners_cli.render import clock

    console = Console(highlight=False)
    table = Table(title=f"sessions of app {app_name}", title_justify="left")
    for column in ("user", "session", "last update", "state keys"):
        table.add_column(column, overflow="fold")
    for session in page.sessions:
        table.add_row(
            session.user_id,
            session.id,
            clock(session.last_update_time),
            str(len(session.state)),
        )
    console.print(table)
    if not page.sessions:
        console.print(Text("no sessions", "dim"))
    if page.next_page_token:
        console.print(Text(f"more: --page-token {page.next_page_token}", "yellow"), soft_wrap=True)
    return 0


def show_session(
    target: Target,
    state: CliState,
    *,
    session_id: str,
    user_id: str,
    last: int | None,
    as_json: bool,
) -> int:
    from runners_core.sessions.session import GetSessionConfig

    async def work(service: BaseSessionService | None, app_name: str) -> Any:
        if service is None:
            return app_name, None, False
        config = GetSessionConfig(num_recent_events=last) if last is not None else None
        found = await service.get_session(
            app_name=app_name, user_id=user_id, session_id=session_id, config=config
        )
        if found is not None:
            return app_name, found, True
        any_session = await service.list_sessions(app_name=app_name, page_size=1)
        return app_name, None, bool(any_session.sessions)

    app_name, session, app_has_sessions = _run(target, state, work, read_only=True)
    if session is None:
        if not app_has_sessions:
            raise CliError(
                f"app {app_name!r} has no sessions in this backend, so no session "
                f"{session_id!r}; check the app name (--app, or app_name in "
                "[tool.runners_core]; 'runners run' uses the root agent's name) and the "
                "backend (runners config)"
            )
        raise CliError(
            f"no session {session_id!r} for user {user_id!r} in app {app_name!r}; list them "
            f"with 'runners sessions list --app {app_name}' (and pass --user if it belongs "
            "to another user)"
        )
    if as_json:
        sys.stdout.write(session.model_dump_json(indent=2) + "\n")
        return 0
    from runners_cli.render import EventRenderer, clock, short_value
    from runners_core.sessions.state import split_state_delta

    console = Console(highlight=False)
    console.print(
        Text(
            f"session {session.id} · app {session.app_name} · user {session.user_id} · "
            f"last update {clock(session.last_update_time)}",
            "bold",
        ),
        soft_wrap=True,
    )
    scoped = split_state_delta(session.state)
    table = Table(title="state", title_justify="left")
    for column in ("scope", "key", "value"):
        table.add_column(column, overflow="fold")
    for scope, values in (("session", scoped.session), ("user", scoped.user), ("app", scoped.app)):
        for key, value in values.items():
            table.add_row(scope, key, short_value(value))
    console.print(table)
    shown = f"last {len(session.events)}" if last is not None else str(len(session.events))
    console.print(Text(f"events ({shown}):", "bold"))
    renderer = EventRenderer(console, show_time=True)
    for event in session.events:
        renderer.render(event)
    return 0


def delete_session(
    target: Target, state: CliState, *, session_id: str, user_id: str, confirm: bool
) -> int:
    async def work(service: BaseSessionService, app_name: str) -> Any:
        from runners_core.sessions.session import GetSessionConfig

        found = await service.get_session(
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            config=GetSessionConfig(num_recent_events=0),
        )
        if found is None:
            raise CliError(
                f"no session {session_id!r} for user {user_id!r} in app {app_name!r}; "
                "nothing deleted (list them with 'runners sessions list')"
            )
        if confirm and not _confirm(f"delete session {session_id!r} of user {user_id!r}?"):
            raise CliError("not deleted; pass --yes to delete without asking")
        await service.delete_session(app_name=app_name, user_id=user_id, session_id=session_id)
        return app_name

    app_name = _run(target, state, work)
    Console(highlight=False).print(
        Text(f"deleted session {session_id} (app {app_name}, user {user_id})"), soft_wrap=True
    )
    return 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise CliError("refusing to delete without confirmation; pass --yes")
    import typer

    return typer.confirm(question, default=False)


# ---------------------------------------------------------------------------- export / import


@contextmanager
def progress_bar(label: str) -> Iterator[Progress]:
    """A rich progress bar on stderr (only when stderr is a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )
    task = bar.add_task(label, total=None)

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


def export_to(
    target: Target,
    state: CliState,
    *,
    output: Path | None,
    user_id: str | None,
    session_ids: list[str],
) -> int:
    from runners_cli.jsonl import export_sessions

    async def work(service: BaseSessionService, app_name: str) -> Any:
        with _output(output) as out, progress_bar("exporting sessions") as progress:
            return await export_sessions(
                service,
                out,
                app_name=app_name,
                user_id=user_id,
                session_ids=session_ids,
                progress=progress,
            )

    summary = _run(target, state, work)
    where = str(output) if output else "stdout"
    Console(stderr=True, highlight=False).print(
        Text(f"exported {summary.sessions} sessions, {summary.events} events to {where}", "dim"),
        soft_wrap=True,
    )
    return 0


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    """stdout, or *path* written through a temporary file so a failure leaves no half file."""
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path = path.expanduser()
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    )
    try:
        with handle:
            yield handle
        Path(handle.name).replace(path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def import_from(target: Target, state: CliState, *, source: Path) -> int:
    from runners_cli.jsonl import file_lines, import_sessions

    with _readable(source) as path:

        async def work(service: BaseSessionService, app_name: str) -> Any:
            with progress_bar("importing sessions") as progress:
                return await import_sessions(
                    service, file_lines(path), app_name=app_name, progress=progress
                )

        summary = _run(target, state, work, require_app=False)
    parts = [f"imported {summary.sessions} sessions, {summary.events} events"]
    if summary.existing:
        parts.append(f"{summary.existing} already existed (only missing events were added)")
    if summary.events_skipped:
        parts.append(f"{summary.events_skipped} events were already stored")
    Console(stderr=True, highlight=False).print(Text("; ".join(parts), "dim"), soft_wrap=True)
    return 0


@contextmanager
def _readable(source: Path) -> Iterator[Path]:
    """*source* as a file that can be read twice; stdin ('-') is spooled to a temp file."""
    if str(source) != "-":
        if not source.is_file():
            raise CliError(f"import file {source} does not exist; give the path of an export")
        yield source
        return
    with tempfile.TemporaryDirectory(prefix="runners-import-") as folder:
        spooled = Path(folder) / "stdin.jsonl"
        with spooled.open("wb") as handle:
            shutil.copyfileobj(sys.stdin.buffer, handle)
        yield spooled
