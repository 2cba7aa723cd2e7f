"""runners-sqlite: SQLite session, memory and artifact services for runners-core.

Installed, it registers ``sqlite://`` URLs for all three service kinds; the
``runners`` command uses them under ``.runners/`` when nothing else is configured.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "SqliteSessionService": "runners_sqlite.sessions",
    "SqliteMemoryService": "runners_sqlite.memory",
    "SqliteArtifactService": "runners_sqlite.artifacts",
    "SqliteSettings": "runners_sqlite.settings",
    "parse_url": "runners_sqlite.settings",
    "LATEST": "runners_sqlite.migrations",
}

__all__ = [
    "LATEST",
    "SqliteArtifactService",
    "SqliteMemoryService",
    "SqliteSessionService",
    "SqliteSettings",
    "parse_url",
]

if TYPE_CHECKING:
    from runners_sqlite.artifacts import SqliteArtifactService
    from runners_sqlite.memory import SqliteMemoryService
    from runners_sqlite.migrations import LATEST
    from runners_sqlite.sessions import SqliteSessionService
    from runners_sqlite.settings import SqliteSettings, parse_url


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'runners_sqlite' has no attribute {name!r}")
    return getattr(import_module(module), name)
