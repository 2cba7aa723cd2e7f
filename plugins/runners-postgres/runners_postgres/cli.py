"""``runners postgres ...``: schema commands, added to the ``runners`` CLI by the plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from runners_core.errors import RunnersError

T = TypeVar("T")

URL_HELP = (
    "postgresql:// URL (password allowed; ?schema= picks the schema). "
    "Default: the first configured PostgreSQL service URL."
)


def postgres_commands() -> typer.Typer:
    """A fresh ``postgres`` command group."""
    app = typer.Typer(
        help="PostgreSQL backend (runners-postgres): schema version and migrations.",
        no_args_is_help=True,
    )

    @app.command()
    def migrate(url: Annotated[str | None, typer.Argument(help=URL_HELP)] = None) -> None:
        """Create the tables, or upgrade them in place to this version's schema."""
        from runners_postgres.migrations import migrate as run_migrations
        from runners_postgres.settings import parse_url

        target = _url_or_configured(url)
        result = _checked(lambda: run_migrations(target))
        where = f"schema {result.schema!r} of {parse_url(target).redacted}"
        if result.changed:
            typer.echo(f"migrated {where} from version {result.before} to {result.after}")
        else:
            typer.echo(f"{where} is already at version {result.after}; nothing to do")

    @app.command()
    def status(url: Annotated[str | None, typer.Argument(help=URL_HELP)] = None) -> None:
        """Show the schema version stored in the database and the one this package needs."""
        from runners_postgres.migrations import LATEST, inspect_version
        from runners_postgres.settings import parse_url

        target = _url_or_configured(url)
        version = _checked(lambda: inspect_version(target))
        where = f"schema {parse_url(target).schema!r} of {parse_url(target).redacted}"
        if version == LATEST:
            verdict = "up to date"
        elif version < LATEST:
            verdict = "run `runners postgres migrate`"
        else:
            verdict = "newer than this runners-postgres; upgrade it"
        typer.echo(f"{where}: version {version}, this package needs {LATEST} ({verdict})")

    return app


def _checked(action: Callable[[], T]) -> T:
    try:
        return action()
    except RunnersError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _url_or_configured(url: str | None) -> str:
    if url:
        return url
    from runners_core.config import load_config

    config = _checked(load_config)
    for kind in ("session", "memory", "artifact"):
        configured = getattr(config, f"{kind}_service")
        if configured and configured.split("://", 1)[0].split("+", 1)[0].lower() in (
            "postgresql",
            "postgres",
        ):
            return configured
    typer.echo(
        "error: no URL given and no PostgreSQL service configured; pass one, e.g. "
        "runners postgres migrate 'postgresql://user@host:5432/db?schema=runners'",
        err=True,
    )
    raise typer.Exit(2)
