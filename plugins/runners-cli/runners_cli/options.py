"""Options shared by several commands, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs on errors.")]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
App = Annotated[
    str | None, typer.Option("--app", help="App name (default: app_name in [tool.runners_core]).")
]
SessionServiceUrl = Annotated[
    str | None,
    typer.Option(
        "--session-service",
        metavar="URL",
        help="Session backend URL (default: RUNNERS_CORE_SESSION_SERVICE, pyproject, .runners/).",
    ),
]
