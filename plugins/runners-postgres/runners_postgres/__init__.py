"""runners-postgres: PostgreSQL session, memory and artifact services for runners-core.

Installed, it registers ``postgresql://`` and ``postgres://`` URLs for all three
service kinds; ``runners postgres migrate`` creates or upgrades the tables.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "PostgresSessionService": "runners_postgres.sessions",
    "PostgresMemoryService": "runners_postgres.memory",
    "PostgresArtifactService": "runners_postgres.artifacts",
    "PostgresSettings": "runners_postgres.settings",
    "parse_url": "runners_postgres.settings",
    "migrate": "runners_postgres.migrations",
    "migrate_async": "runners_postgres.migrations",
    "MigrationResult": "runners_postgres.migrations",
    "LATEST": "runners_postgres.migrations",
}

__all__ = [
    "LATEST",
    "MigrationResult",
    "PostgresArtifactService",
    "PostgresMemoryService",
    "PostgresSessionService",
    "PostgresSettings",
    "migrate",
    "migrate_async",
    "parse_url",
]

if TYPE_CHECKING:
    from runners_postgres.artifacts import PostgresArtifactService
    from runners_postgres.memory import PostgresMemoryService
    from runners_postgres.migrations import LATEST, MigrationResult, migrate, migrate_async
    from runners_postgres.sessions import PostgresSessionService
    from runners_postgres.settings import PostgresSettings, parse_url


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'runners_postgres' has no attribute {name!r}")
    return getattr(import_module(module), name)
