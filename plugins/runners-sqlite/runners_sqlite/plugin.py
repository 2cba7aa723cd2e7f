"""The ``sqlite`` plugin: ``sqlite://`` URLs for session, memory and artifact services."""

from __future__ import annotations

from typing import Any

from runners_core.hookspecs import hookimpl
from runners_core.plugins.registry import ServiceRegistry

SCHEME = "sqlite"


def _session(url: str, **options: Any) -> Any:
    from runners_sqlite.sessions import SqliteSessionService

    return SqliteSessionService(url, **options)


def _memory(url: str, **options: Any) -> Any:
    from runners_sqlite.memory import SqliteMemoryService

    return SqliteMemoryService(url, **options)


def _artifact(url: str, **options: Any) -> Any:
    from runners_sqlite.artifacts import SqliteArtifactService

    return SqliteArtifactService(url, **options)


@hookimpl
def register_services(registry: ServiceRegistry) -> None:
    registry.add_session_service(SCHEME, _session)
    registry.add_memory_service(SCHEME, _memory)
    registry.add_artifact_service(SCHEME, _artifact)
