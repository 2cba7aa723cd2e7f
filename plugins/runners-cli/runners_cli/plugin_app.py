"""``runners plugin``: commands for plugin authors (the body of ``new`` is in scaffold)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runners_cli.errors import finish_command
from runners_cli.group import subcommand_group
from runners_cli.options import Debug


def new(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="The plugin's name, e.g. audit (package runners-audit, import runners_audit).",
            show_default=False,
        ),
    ],
    backend: Annotated[
        bool,
        typer.Option(
            "--backend",
            help="A session backend for NAME:// URLs (with the conformance kit as its tests) "
            "instead of a hook plugin.",
        ),
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--directory",
            "-d",
            metavar="DIR",
            help="Folder to create (default: ./runners-NAME); must not exist or be empty.",
            file_okay=False,
        ),
    ] = None,
    debug: Debug = False,
) -> None:
    """Create a plugin package that installs and passes its tests as generated."""
    from runners_cli.scaffold import new_plugin

    finish_command(ctx, debug, lambda state: new_plugin(name, backend=backend, directory=directory))


def build_plugin_app() -> typer.Typer:
    plugin = subcommand_group("Write plugins: 'runners plugin new NAME' creates a plugin package.")
    plugin.command()(new)
    return plugin
