"""The body of ``runners serve``: resolve agents and backends, then run uvicorn."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import typer

from runners_server.settings import DEFAULT_MAX_BODY_BYTES, ENV_VAR, ServerSettings


@dataclass
class ServeOptions:
    agents: list[str]
    agents_dir: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    reload: bool = False
    app_name: str | None = None
    session_service: str | None = None
    memory_service: str | None = None
    artifact_service: str | None = None
    auth_tokens_file: str | None = None
    cors_origins: list[str] = field(default_factory=list)
    max_body_bytes: int | None = None
    session_busy: str | None = None
    busy_timeout: float | None = None
    ui: bool = True
    log_level: str = "info"


def run_server(ctx: typer.Context, options: ServeOptions, *, debug: bool = False) -> None:
    from runners_cli.errors import finish_command

    finish_command(ctx, debug, lambda state: _serve(options, state))


def _serve(options: ServeOptions, state) -> int:  # type: ignore[no-untyped-def]
    import uvicorn
    from runners_cli.errors import CliError
    from runners_cli.services import choose_services, prepare

    from runners_core.config import load_config
    from runners_core.plugins.manager import load_plugins

    settings = resolve_settings(options)
    state.watch_urls([settings.session_service, settings.memory_service, settings.artifact_service])
    config = load_config(
        {
            "session_service": options.session_service,
            "memory_service": options.memory_service,
            "artifact_service": options.artifact_service,
        }
    )
    choices = choose_services(config, load_plugins(config))
    if options.workers > 1:
        shared = [kind for kind, choice in choices.items() if choice.url.startswith("memory:")]
        if shared:
            raise CliError(
                f"--workers {options.workers} needs backends every process shares, but the "
                f"{'/'.join(shared)} service is in memory; configure sqlite://, postgresql:// "
                "or redis:// (e.g. --session-service), or use one worker"
            )
        if options.reload:
            raise CliError("--reload runs one process; drop --workers or --reload")
    prepare(choices)
    settings = settings.model_copy(
        update={f"{kind}_service": choice.url for kind, choice in choices.items()}
    )
    _check_startup(settings)
    os.environ[ENV_VAR] = settings.to_env()
    typer.echo(
        f"runners serve: http://{options.host}:{options.port}/ (UI at /ui/, API docs at /docs); "
        f"{options.workers} worker(s)",
        err=True,
    )
    uvicorn.run(
        "runners_server.asgi:app_from_env",
        factory=True,
        host=options.host,
        port=options.port,
        workers=options.workers if options.workers > 1 else None,
        reload=options.reload,
        log_level=options.log_level,
    )
    return 0


def resolve_settings(options: ServeOptions) -> ServerSettings:
    from runners_cli.errors import CliError

    if not options.agents and not options.agents_dir:
        raise CliError(
            "no agent to serve; give one (runners serve path/to/app.py:root_agent), more "
            "with --agent REF, or a folder of apps with --agents-dir DIR"
        )
    if options.session_busy not in (None, "wait", "reject"):
        raise CliError(f"--session-busy must be 'wait' or 'reject', not {options.session_busy!r}")
    return ServerSettings(
        agents=options.agents,
        agents_dir=options.agents_dir,
        app_name=options.app_name,
        session_service=options.session_service,
        memory_service=options.memory_service,
        artifact_service=options.artifact_service,
        session_busy=options.session_busy,  # type: ignore[arg-type]
        busy_timeout=options.busy_timeout,
        auth_tokens_file=options.auth_tokens_file,
        cors_origins=options.cors_origins,
        max_body_bytes=options.max_body_bytes or DEFAULT_MAX_BODY_BYTES,
        ui=options.ui,
    )


def _check_startup(settings: ServerSettings) -> None:
    """Fail before uvicorn starts: the agents import and the tokens file reads."""
    from runners_server.apps import _load_agents
    from runners_server.settings import read_tokens

    _load_agents(settings)
    if settings.auth_tokens_file:
        read_tokens(settings.auth_tokens_file)
