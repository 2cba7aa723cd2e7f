"""Which backends a command uses, including the embedded default.

Arguments, then ``RUNNERS_CORE_*``, then ``[tool.runners_core]`` (all resolved
by :func:`runners_core.config.load_config`). When none of them names a backend,
the embedded SQLite files under the project's ``.runners/`` if a plugin
registers ``sqlite://`` (runners-sqlite), else ``memory://`` with a warning.
The rule is the kernel's (:mod:`runners_core.default_services`), shared with
``Runner.from_config``, so scripts and the command line see the same data.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from runners_cli.errors import print_warning
from runners_core.default_services import (
    EMBEDDED_SOURCE,
    EPHEMERAL_SOURCE,
    ServiceChoice,
    choose_services,
    ephemeral_warning,
)

if TYPE_CHECKING:
    from runners_core.plugins.manager import LoadedPlugins
    from runners_core.plugins.registry import ServiceKind

__all__ = [
    "EMBEDDED_SOURCE",
    "EPHEMERAL_SOURCE",
    "ServiceChoice",
    "build_service",
    "choose_services",
    "missing_store",
    "prepare",
]


def prepare(
    choices: dict[ServiceKind, ServiceChoice],
    *,
    warn: bool = True,
    loaded: LoadedPlugins | None = None,
) -> None:
    """Warn once if anything lives in memory (the backends create their own files)."""
    if not warn or not any(choice.ephemeral for choice in choices.values()):
        return
    if loaded is None:
        from runners_core.plugins.manager import load_plugins

        loaded = load_plugins(enforce=False)
    message = ephemeral_warning(choices, loaded)
    if message:
        print_warning(message)


def missing_store(choice: ServiceChoice) -> Path | None:
    """The local file or folder *choice* would create, when it does not exist yet.

    Read-only commands (``doctor``, ``sessions list``/``show``) check this and
    report "nothing stored yet" instead of creating an empty database.
    """
    from runners_core.local_paths import local_path

    path = local_path(choice.url)
    return path if path is not None and not path.exists() else None


def build_service(choice: ServiceChoice, loaded: LoadedPlugins) -> Any:
    from runners_core.services import service_from_url

    return service_from_url(choice.kind, choice.url, plugins=loaded)
