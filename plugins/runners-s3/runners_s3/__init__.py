"""runners-s3: artifacts in S3-compatible object storage (``s3://bucket/prefix`` URLs).

Installed, it registers ``s3://`` URLs for the artifact service kind.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "S3ArtifactService": "runners_s3.artifacts",
    "S3Settings": "runners_s3.settings",
    "parse_url": "runners_s3.settings",
}

__all__ = ["S3ArtifactService", "S3Settings", "parse_url"]

if TYPE_CHECKING:
    from runners_s3.artifacts import S3ArtifactService
    from runners_s3.settings import S3Settings, parse_url


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'runners_s3' has no attribute {name!r}")
    return getattr(import_module(module), name)
