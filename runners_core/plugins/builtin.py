"""The kernel's own plugin: the ``memory://`` scheme for all three service kinds."""

from __future__ import annotations

from typing import Any

from runners_core.hookspecs import hookimpl
from runners_core.plugins.registry import ServiceRegistry

NAME = "memory"


def _no_path(url: str) -> None:
    rest = url.split("://", 1)[1]
    if rest.strip("/"):
        from runners_core.errors import ConfigError
        from runners_core.redaction import redact_url

        raise ConfigError(
            f"memory:// URLs take no location (got {redact_url(url)!r}); write just memory://"
        )


def _session(url: str, **options: Any) -> Any:
    from runners_core.sessions.in_memory import InMemorySessionService

    _no_path(url)
    return InMemorySessionService(**options)


def _memory(url: str, **options: Any) -> Any:
    from runners_core.memory.in_memory import InMemoryMemoryService

    _no_path(url)
    return InMemoryMemoryService(**options)


def _artifact(url: str, **options: Any) -> Any:
    from runners_core.artifacts.in_memory import InMemoryArtifactService

    _no_path(url)
    return InMemoryArtifactService(**options)


@hookimpl
def register_services(registry: ServiceRegistry) -> None:
    registry.add_session_service("memory", _session)
    registry.add_memory_service("memory", _memory)
    registry.add_artifact_service("memory", _artifact)
