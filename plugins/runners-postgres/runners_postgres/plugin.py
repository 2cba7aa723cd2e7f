"""The ``postgres`` plugin: ``postgresql://`` and ``postgres://`` services and CLI commands."""

from __future__ import annotations

from typing import Any

from runners_core.hookspecs import hookimpl
from runners_core.plugins.registry import ServiceRegistry

SCHEMES = ("postgresql", "postgres")


def _session(url: str, **options: Any) -> Any:
    from runners_postgres.sessions import PostgresSessionService

    return PostgresSessionService(url, **options)


def _memory(url: str, **options: Any) -> Any:
    from runners_postgres.memory import PostgresMemoryService

    return PostgresMemoryService(url, **options)


def _artifact(url: str, **options: Any) -> Any:
    from runners_postgres.artifacts import PostgresArtifactService

    return PostgresArtifactService(url, **options)


@hookimpl
def register_services(registry: ServiceRegistry) -> None:
    for scheme in SCHEMES:
        registry.add_session_service(scheme, _session)
        registry.add_memory_service(scheme, _memory)
        registry.add_artifact_service(scheme, _artifact)


@hookimpl
def register_commands(cli: Any) -> None:
    from runners_postgres.cli import postgres_commands

    cli.add_typer(postgres_commands(), name="postgres")
