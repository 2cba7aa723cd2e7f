"""The ``s3`` plugin: ``s3://bucket/prefix`` URLs for the artifact service."""

from __future__ import annotations

from typing import Any

from runners_core.hookspecs import hookimpl
from runners_core.plugins.registry import ServiceRegistry

SCHEME = "s3"


def _artifact(url: str, **options: Any) -> Any:
    from runners_s3.artifacts import S3ArtifactService

    return S3ArtifactService(url, **options)


@hookimpl
def register_services(registry: ServiceRegistry) -> None:
    registry.add_artifact_service(SCHEME, _artifact)
