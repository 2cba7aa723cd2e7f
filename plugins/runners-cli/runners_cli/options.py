"""Options shared by several commands, declared once (also used by plugins' commands).

Every option that takes a value names it with a readable metavar (``ID``,
``NAME``, ``URL``, ``N``, ``FILE``) instead of the parser's type name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs on errors.")]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
App = Annotated[
    str | None,
    typer.Option(
        "--app", metavar="NAME", help="App name (default: app_name in [tool.runners_core])."
    ),
]
SessionServiceUrl = Annotated[
    str | None,
    typer.Option(
        "--session-service",
        metavar="URL",
        help="Session backend URL (default: RUNNERS_CORE_SESSION_SERVICE, pyproject, .runners/).",
    ),
]
MemoryServiceUrl = Annotated[
    str | None,
    typer.Option(
        "--memory-service",
        metavar="URL",
        help="Memory backend URL (default: RUNNERS_CORE_MEMORY_SERVICE, pyproject, .runners/).",
    ),
]
ArtifactServiceUrl = Annotated[
    str | None,
    typer.Option(
        "--artifact-service",
        metavar="URL",
        help="Artifact backend URL (default: RUNNERS_CORE_ARTIFACT_SERVICE, pyproject, .runners/).",
    ),
]
UserFilter = Annotated[
    str | None, typer.Option("--user", "-u", metavar="ID", help="Only this user's sessions.")
]
OutputFile = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="File to write (default: stdout).",
        dir_okay=False,
    ),
]
