"""Which backends a command uses, including the CLI's embedded default.

Arguments, then ``RUNNERS_CORE_*``, then ``[tool.runners_core]`` (all resolved
by :func:`runners_core.config.load_config`). When none of them names a backend,
the CLI picks the embedded SQLite files under ``.runners/`` if a plugin
registers ``sqlite://`` (runners-sqlite), else ``memory://`` with a warning.
That fallback is the command line's choice, so it lives here, not in the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runners_cli.errors import print_warning

if TYPE_CHECKING:
    from runners_core.config import Config
    from runners_core.plugins.manager import LoadedPlugins
    from runners_core.plugins.registry import ServiceKind

EMBEDDED_DIR = ".runners"
EMBEDDED_FILES: dict[str, str] = {
    "session": "sessions.db",
    "memory": "memory.db",
    "artifact": "artifacts.db",
}
EMBEDDED_SOURCE = "default (embedded SQLite under .runners/)"
EPHEMERAL_SOURCE = "default (in memory: lost when the command ends)"


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


def embedded_url(kind: str) -> str:
    return f"sqlite:///{EMBEDDED_DIR}/{EMBEDDED_FILES[kind]}"


def choose_services(config: Config, loaded: LoadedPlugins) -> dict[ServiceKind, ServiceChoice]:
    """The backend of each kind: configured, else embedded SQLite, else in memory."""
    from runners_core.plugins.registry import KINDS

    choices: dict[ServiceKind, ServiceChoice] = {}
    for kind in KINDS:
        setting = f"{kind}_service"
        url = getattr(config, setting)
        if url:
            choices[kind] = ServiceChoice(kind, url, config.source(setting))
        elif "sqlite" in loaded.registry.schemes(kind):
            choices[kind] = ServiceChoice(kind, embedded_url(kind), EMBEDDED_SOURCE)
        else:
            choices[kind] = ServiceChoice(kind, "memory://", EPHEMERAL_SOURCE)
    return choices


def prepare(choices: dict[ServiceKind, ServiceChoice], *, warn: bool = True) -> None:
    """Create ``.runners/`` for embedded backends; warn once if anything is ephemeral."""
    if any(choice.embedded for choice in choices.values()):
        Path(EMBEDDED_DIR).mkdir(exist_ok=True)
    ephemeral = [kind for kind, choice in choices.items() if choice.ephemeral]
    if warn and ephemeral:
        print_warning(
            f"no {'/'.join(ephemeral)} service is configured and runners-sqlite is not "
            "installed, so they live in memory and are lost when this command ends; "
            "pip install runners-sqlite, or set session_service etc. in [tool.runners_core]"
        )


def build_service(choice: ServiceChoice, loaded: LoadedPlugins) -> Any:
    from runners_core.services import service_from_url

    return service_from_url(choice.kind, choice.url, plugins=loaded)
