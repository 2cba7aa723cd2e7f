"""The ``runners`` command line: the typer app and the signature of every command.

Command bodies live in their own modules and are imported when the command
runs, so ``runners --help`` and argument errors stay fast.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from runners_cli.errors import CliState, cli_state, finish_command
from runners_cli.group import PluginCommandsGroup
from runners_cli.options import (
    App,
    ArtifactServiceUrl,
    AsJson,
    Debug,
    MemoryServiceUrl,
    OutputFile,
    SessionServiceUrl,
)

HELP = """Run agents on the configured backends; inspect plugins, configuration and sessions.

Backends come from arguments, then RUNNERS_CORE_* variables, then [tool.runners_core]
in pyproject.toml; with none configured, the embedded SQLite files under .runners/
(when runners-sqlite is installed) or memory.
"""


def _module(name: str) -> ModuleType:
    """A command's implementation module, imported only when the command runs."""
    return importlib.import_module(f"runners_cli.{name}")


def _report_config(check: bool, as_json: bool, state: CliState) -> int:
    return _module("doctor").report_config(check=check, as_json=as_json, state=state)


def _root(
    ctx: typer.Context,
    debug: Debug = False,
    version: Annotated[
        bool, typer.Option("--version", help="Print the runners-core version and exit.")
    ] = False,
) -> None:
    """Options for every command."""
    cli_state(ctx).debug = debug
    from runners_cli.logs import configure_logging

    ctx.call_on_close(configure_logging(debug))
    if version:
        from runners_core import __version__

        typer.echo(f"runners-core {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def run(
    ctx: typer.Context,
    agent: Annotated[
        str,
        typer.Argument(
            metavar="AGENT",
            help="path/to/file.py:attr or package.module:attr (attr defaults to root_agent).",
            show_default=False,
        ),
    ],
    message: Annotated[
        str | None,
        typer.Option(
            "--message", "-m", metavar="TEXT", help="Send one message and exit (default: chat)."
        ),
    ] = None,
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            "-s",
            metavar="ID",
            help="Session id to resume or create (default: new).",
        ),
    ] = None,
    user: Annotated[str, typer.Option("--user", "-u", metavar="ID", help="User id.")] = "user",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON event per line (for scripts).")
    ] = False,
    app: Annotated[
        str | None,
        typer.Option(
            "--app",
            metavar="NAME",
            help="App name (default: app_name in [tool.runners_core], else the root agent's name).",
        ),
    ] = None,
    session_service: SessionServiceUrl = None,
    memory_service: MemoryServiceUrl = None,
    artifact_service: ArtifactServiceUrl = None,
    history: Annotated[
        int,
        typer.Option(metavar="N", help="Earlier events to show when resuming a session.", min=0),
    ] = 6,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="One live run (Runner.run_live) fed from stdin, one message per line; "
            "streamed chunks are shown as they arrive.",
        ),
    ] = False,
    debug: Debug = False,
) -> None:
    """Talk to an agent: one message with -m, else an interactive chat (--live: a live run)."""
    options = _module("chat").RunOptions(
        agent=agent,
        message=message,
        session_id=session,
        user_id=user,
        json=as_json,
        app_name=app,
        session_service=session_service,
        memory_service=memory_service,
        artifact_service=artifact_service,
        history=history,
        live=live,
    )
    finish_command(ctx, debug, lambda state: _module("run").run_agent(options, state))


def plugins(ctx: typer.Context, as_json: AsJson = False, debug: Debug = False) -> None:
    """List discovered plugins: state, why not loaded, hooks and URL schemes."""
    finish_command(
        ctx,
        debug,
        lambda state: _module("plugins_report").report_plugins(as_json=as_json, debug=state.debug),
    )


def config(
    ctx: typer.Context,
    check: Annotated[
        bool, typer.Option("--check", help="Also check that every backend can be reached.")
    ] = False,
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """Show the effective configuration and where each value came from."""
    finish_command(ctx, debug, lambda state: _report_config(check, as_json, state))


def doctor(ctx: typer.Context, as_json: AsJson = False, debug: Debug = False) -> None:
    """Same as 'runners config --check': configuration plus a reachability check."""
    finish_command(ctx, debug, lambda state: _report_config(True, as_json, state))


def prune(
    ctx: typer.Context,
    app: App = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be deleted; delete nothing.")
    ] = False,
    session_idle_days: Annotated[
        float | None,
        typer.Option(metavar="DAYS", help="Override: delete sessions idle this many days."),
    ] = None,
    max_events: Annotated[
        int | None,
        typer.Option(metavar="N", help="Override: keep at most this many events per session."),
    ] = None,
    artifact_versions: Annotated[
        int | None,
        typer.Option(metavar="N", help="Override: keep the newest N versions of each artifact."),
    ] = None,
    memory_days: Annotated[
        float | None,
        typer.Option(metavar="DAYS", help="Override: forget memories older than this many days."),
    ] = None,
    session_service: SessionServiceUrl = None,
    memory_service: MemoryServiceUrl = None,
    artifact_service: ArtifactServiceUrl = None,
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """Apply the retention policy ([tool.runners_core.retention]) to an app's data."""
    finish_command(
        ctx,
        debug,
        lambda state: _module("prune_ops").prune_app(
            state,
            app_name=app,
            urls={
                "session": session_service,
                "memory": memory_service,
                "artifact": artifact_service,
            },
            overrides={
                "session_idle_days": session_idle_days,
                "max_events_per_session": max_events,
                "artifact_versions": artifact_versions,
                "memory_days": memory_days,
            },
            dry_run=dry_run,
            as_json=as_json,
        ),
    )


def export(
    ctx: typer.Context,
    app: App = None,
    output: OutputFile = None,
    session_service: SessionServiceUrl = None,
    memory_service: MemoryServiceUrl = None,
    artifact_service: ArtifactServiceUrl = None,
    debug: Debug = False,
) -> None:
    """Export a whole app (sessions, events, state, artifacts, memory) as JSON Lines."""
    finish_command(
        ctx,
        debug,
        lambda state: _module("app_ops").export_app(
            state,
            app_name=app,
            output=output,
            urls={
                "session": session_service,
                "memory": memory_service,
                "artifact": artifact_service,
            },
        ),
    )


def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A 'runners export' file.")],
    app: Annotated[
        str | None,
        typer.Option("--app", metavar="NAME", help="Import under this app name instead."),
    ] = None,
    session_service: SessionServiceUrl = None,
    memory_service: MemoryServiceUrl = None,
    artifact_service: ArtifactServiceUrl = None,
    debug: Debug = False,
) -> None:
    """Import a 'runners export' file; checked whole first, safe to run twice."""
    finish_command(
        ctx,
        debug,
        lambda state: _module("app_ops").import_app(
            state,
            path=path,
            app_name=app,
            urls={
                "session": session_service,
                "memory": memory_service,
                "artifact": artifact_service,
            },
        ),
    )


def migrate(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Option("--from", metavar="URL", help="Backend to copy from (every kind).")
    ],
    target: Annotated[
        str, typer.Option("--to", metavar="URL", help="Backend to copy to (every kind).")
    ],
    app: App = None,
    from_memory: Annotated[
        str | None, typer.Option(metavar="URL", help="Memory backend to copy from.")
    ] = None,
    from_artifacts: Annotated[
        str | None, typer.Option(metavar="URL", help="Artifact backend to copy from.")
    ] = None,
    to_memory: Annotated[
        str | None, typer.Option(metavar="URL", help="Memory backend to copy to.")
    ] = None,
    to_artifacts: Annotated[
        str | None, typer.Option(metavar="URL", help="Artifact backend to copy to.")
    ] = None,
    verify_only: Annotated[
        bool, typer.Option("--verify-only", help="Only compare counts and checksums.")
    ] = False,
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """Copy an app between backends: resumable, idempotent, verified by checksums."""
    finish_command(
        ctx,
        debug,
        lambda state: _module("app_ops").migrate_app(
            state,
            app_name=app,
            source={"session": source, "memory": from_memory, "artifact": from_artifacts},
            target={"session": target, "memory": to_memory, "artifact": to_artifacts},
            verify_only=verify_only,
            as_json=as_json,
        ),
    )


def build_app() -> typer.Typer:
    """A fresh ``runners`` app (tests build their own)."""
    from runners_cli.plugin_app import build_plugin_app
    from runners_cli.sessions_app import build_sessions_app

    app = typer.Typer(
        cls=PluginCommandsGroup,
        name="runners",
        help=HELP,
        # --install-completion / --show-completion (bash, zsh, fish, PowerShell).
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback(invoke_without_command=True)(_root)
    app.command()(run)
    app.command()(plugins)
    app.command()(config)
    app.command()(doctor)
    app.command()(prune)
    app.command()(export)
    app.command(name="import")(import_)
    app.command()(migrate)
    app.add_typer(build_sessions_app(), name="sessions")
    app.add_typer(build_plugin_app(), name="plugin")
    return app
