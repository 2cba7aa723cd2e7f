"""Which backend each service kind uses, including the default when none is configured.

``Runner.from_config`` and the ``runners`` command share this rule, so a script
and the command line working on the same project find the same sessions,
memories and artifacts:

1. the URL from arguments, ``RUNNERS_CORE_*`` or ``[tool.runners_core]``;
2. else, when a plugin registers ``sqlite://`` (runners-sqlite), the embedded
   SQLite file of that kind under ``.runners/`` in the project folder (the
   folder of the ``pyproject.toml`` in use, else the working directory);
3. else ``memory://``, which is lost when the process ends (callers warn).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runners_core.plugins.registry import KINDS, ServiceKind

if TYPE_CHECKING:
    from runners_core.config import Config
    from runners_core.plugins.manager import LoadedPlugins

__all__ = [
    "EMBEDDED_DIR",
    "EMBEDDED_SOURCE",
    "EPHEMERAL_SOURCE",
    "ServiceChoice",
    "choose_services",
    "embedded_url",
    "ephemeral_warning",
    "project_dir",
]

EMBEDDED_DIR = ".runners"
EMBEDDED_FILES: dict[str, str] = {
    "session": "sessions.db",
    "memory": "memory.db",
    "artifact": "artifacts.db",
}
EMBEDDED_SOURCE = "default (embedded SQLite under .runners/)"
EPHEMERAL_SOURCE = "default (in memory: lost when the process ends)"


@dataclass(frozen=True)
class ServiceChoice:
    """The URL one kind of service is built from, and where it came from."""

    kind: ServiceKind
    url: str
    source: str

    @property
    def embedded(self) -> bool:
        return self.source == EMBEDDED_SOURCE

    @property
    def ephemeral(self) -> bool:
        return self.source == EPHEMERAL_SOURCE


def project_dir(config: Config) -> Path:
    """The folder of the ``pyproject.toml`` in use, else the working directory."""
    return config.pyproject.parent.resolve() if config.pyproject else Path.cwd()


def embedded_url(kind: str, base: Path) -> str:
    """The embedded SQLite URL of *kind* under ``base/.runners/`` (an absolute path)."""
    return f"sqlite:///{(base / EMBEDDED_DIR / EMBEDDED_FILES[kind]).as_posix()}"


def choose_services(config: Config, loaded: LoadedPlugins) -> dict[ServiceKind, ServiceChoice]:
    """The backend of each kind: configured, else embedded SQLite, else in memory."""
    choices: dict[ServiceKind, ServiceChoice] = {}
    for kind in KINDS:
        setting = f"{kind}_service"
        url = getattr(config, setting)
        if url:
            choices[kind] = ServiceChoice(kind, url, config.source(setting))
        elif "sqlite" in loaded.registry.schemes(kind):
            choices[kind] = ServiceChoice(
                kind, embedded_url(kind, project_dir(config)), EMBEDDED_SOURCE
            )
        else:
            choices[kind] = ServiceChoice(kind, "memory://", EPHEMERAL_SOURCE)
    return choices


def ephemeral_warning(
    choices: dict[ServiceKind, ServiceChoice], loaded: LoadedPlugins
) -> str | None:
    """The warning to give when some kinds fell back to memory, else None."""
    ephemeral = [kind for kind, choice in choices.items() if choice.ephemeral]
    if not ephemeral:
        return None
    from runners_core.services import inactive_provider, inactive_provider_hint

    record = inactive_provider(loaded, "sqlite")
    why = (
        f"the embedded SQLite default comes from {inactive_provider_hint(record)}"
        if record is not None
        else "runners-sqlite is not installed (pip install runners-sqlite)"
    )
    return (
        f"no {'/'.join(ephemeral)} service is configured, so they live in memory and are lost "
        f"when this process ends: {why}; or set {ephemeral[0]}_service etc. in "
        "[tool.runners_core]"
    )
