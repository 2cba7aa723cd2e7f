"""The ``runners`` command: run agents, inspect plugins, configuration and sessions.

Importing this package is cheap: it imports typer and the command signatures
only. Each command imports the kernel pieces it needs when it runs, and
installed plugins are loaded only by commands that use them (or to list plugin
subcommands in the top-level help).
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``runners`` console script."""
    from runners_cli.app import build_app

    build_app()(args=list(argv) if argv is not None else None, prog_name="runners")
