"""The ``files`` plugin: ``file://`` URLs for the artifact service."""

from __future__ import annotations

from typing import Any

from runners_core.hookspecs import hookimpl
from runners_core.plugins.registry import ServiceRegistry

SCHEME = "file"


def _artifact(url: str, **options: Any) -> Any:
    from runners_files.artifacts import FileArtifactService

    return FileArtifactService(url, **options)


@hookimpl
def register_services(registry: ServiceRegistry) -> None:
    registry.add_artifact_service(SCHEME, _artifact)
