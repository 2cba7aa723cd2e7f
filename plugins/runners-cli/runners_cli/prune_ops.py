"""``runners prune``: apply the retention policy to an app's data, with a dry run first."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from runners_cli.errors import CliError, CliState

if TYPE_CHECKING:
    from runners_core.retention import PruneReport
    from runners_core.retention.prune import Progress


def prune_app(
    state: CliState,
    *,
    app_name: str | None,
    urls: dict[str, str | None],
    overrides: dict[str, Any],
    dry_run: bool,
    as_json: bool,
) -> int:
    from runners_cli.services import build_service, choose_services, prepare
    from runners_cli.sessions_ops import resolve_app
    from runners_core.config import load_config
    from runners_core.plugins.manager import load_plugins
    from runners_core.retention import RetentionPolicy, prune

    config = load_config({f"{kind}_service": url for kind, url in urls.items()})
    state.watch_urls([config.session_service, config.memory_service, config.artifact_service])
    app = resolve_app(app_name, config.app_name)
    settings = {**config.retention, **{k: v for k, v in overrides.items() if v is not None}}
    policy = RetentionPolicy.parse(settings)
    if policy.empty:
        raise CliError(
            "nothing to prune: no retention rule is set. Add [tool.runners_core.retention] "
            "(session_idle_days, max_events_per_session, artifact_versions, memory_days) to "
            "pyproject.toml, or pass --session-idle-days etc."
        )
    loaded = load_plugins(config)
    choices = choose_services(config, loaded)
    prepare(choices, warn=False)

    async def main() -> PruneReport:
        services = {kind: build_service(choice, loaded) for kind, choice in choices.items()}
        try:
            with stage_progress() as progress:
                return await prune(
                    app_name=app,
                    policy=policy,
                    session_service=services["session"],
                    memory_service=services["memory"],
                    artifact_service=services["artifact"],
                    hooks=loaded.hooks,
                    dry_run=dry_run,
                    progress=progress,
                )
        finally:
            for service in services.values():
                await service.close()

    report = asyncio.run(main())
    if as_json:
        print(json.dumps(_as_dict(app, report), indent=2))
    else:
        _print_summary(app, report)
    return 0


@contextmanager
def stage_progress() -> Iterator[Progress]:
    """A progress bar per stage on stderr (only when stderr is a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(f"pruning {stage}", total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield update


def _as_dict(app: str, report: PruneReport) -> dict[str, Any]:
    return {
        "app_name": app,
        "dry_run": report.dry_run,
        "deleted": dict(report.rows()),
        "sessions_busy": report.sessions_busy,
        "kept_by_plugins": report.kept_by_plugins,
        "unsupported": report.unsupported,
    }


def _print_summary(app: str, report: PruneReport) -> None:
    console = Console()
    verb = "would delete" if report.dry_run else "deleted"
    table = Table(title=f"runners prune: app {app}" + (" (dry run)" if report.dry_run else ""))
    table.add_column("what")
    table.add_column(verb, justify="right")
    for what, count in report.rows():
        table.add_row(what, str(count))
    console.print(table)
    if report.sessions_busy:
        console.print(
            f"skipped {len(report.sessions_busy)} session(s) with a run in progress: "
            + ", ".join(report.sessions_busy)
            + " (run prune again later)"
        )
    for plugin, count in sorted(report.kept_by_plugins.items()):
        console.print(f"kept {count} item(s) held by plugin {plugin!r}")
    for message in report.unsupported:
        console.print(f"not offered by the backend: {message}")
    if report.dry_run:
        console.print("dry run: nothing was deleted; run without --dry-run to apply")
