"""The runners-core plugin: adds ``runners serve`` through ``register_commands``.

Importing this module is cheap; the server's dependencies are imported when the
command runs.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from runners_cli.options import ArtifactServiceUrl, Debug, MemoryServiceUrl, SessionServiceUrl

from runners_core.hookspecs import hookimpl

HELP = """Serve agents over HTTP: ADK's api_server routes and JSON, plus a web UI at /ui/.

AGENT is path/to/file.py:attr or package.module:attr (attr defaults to root_agent). Backends
and plugins come from pyproject.toml (tool.runners_core) as for runners run; by default the
embedded SQLite files under .runners/.
"""


def serve(
    ctx: typer.Context,
    agent: Annotated[
        str | None,
        typer.Argument(metavar="AGENT", help="The agent to serve.", show_default=False),
    ] = None,
    more_agents: Annotated[
        list[str] | None,
        typer.Option("--agent", metavar="REF", help="Another agent to serve (repeatable)."),
    ] = None,
    agents_dir: Annotated[
        str | None,
        typer.Option(
            "--agents-dir", metavar="DIR", help="Serve every app in DIR/<app>/agent.py (as ADK)."
        ),
    ] = None,
    host: Annotated[str, typer.Option(metavar="HOST", help="Interface to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option(metavar="PORT", help="Port to listen on.", min=0, max=65535)
    ] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            metavar="N", help="Worker processes (they share the configured database).", min=1
        ),
    ] = 1,
    reload: Annotated[
        bool, typer.Option("--reload", help="Restart when source files change (development).")
    ] = False,
    app: Annotated[
        str | None,
        typer.Option(
            "--app", metavar="NAME", help="App name of a single agent (default: its name)."
        ),
    ] = None,
    session_service: SessionServiceUrl = None,
    memory_service: MemoryServiceUrl = None,
    artifact_service: ArtifactServiceUrl = None,
    auth_tokens: Annotated[
        str | None,
        typer.Option(
            "--auth-tokens",
            metavar="FILE",
            help='Turn on bearer-token auth: a JSON file {"<token>": "<user id>", ...}.',
        ),
    ] = None,
    cors_origins: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", metavar="ORIGIN", help="Allowed CORS origin (repeatable)."),
    ] = None,
    max_body_bytes: Annotated[
        int | None,
        typer.Option("--max-body-bytes", metavar="BYTES", min=1, help="Largest request body."),
    ] = None,
    session_busy: Annotated[
        str | None,
        typer.Option(
            "--session-busy", metavar="wait|reject", help="Default when a session is busy."
        ),
    ] = None,
    busy_timeout: Annotated[
        float | None,
        typer.Option(
            "--busy-timeout",
            metavar="SECONDS",
            min=0,
            help="Seconds a run waits for a busy session.",
        ),
    ] = None,
    ui: Annotated[bool, typer.Option("--ui/--no-ui", help="Serve the web UI at /ui/.")] = True,
    log_level: Annotated[
        str, typer.Option("--log-level", metavar="LEVEL", help="uvicorn log level.")
    ] = "info",
    debug: Debug = False,
) -> None:
    """Serve agents over HTTP (ADK api_server-compatible API and a web UI)."""
    from runners_server.command import ServeOptions, run_server

    options = ServeOptions(
        agents=[a for a in [agent, *(more_agents or [])] if a],
        agents_dir=agents_dir,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        app_name=app,
        session_service=session_service,
        memory_service=memory_service,
        artifact_service=artifact_service,
        auth_tokens_file=auth_tokens,
        cors_origins=list(cors_origins or []),
        max_body_bytes=max_body_bytes,
        session_busy=session_busy,
        busy_timeout=busy_timeout,
        ui=ui,
        log_level=log_level,
    )
    run_server(ctx, options, debug=debug)


@hookimpl
def register_commands(cli: Any) -> None:
    cli.command("serve", help=HELP)(serve)
