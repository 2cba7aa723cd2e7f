"""runners-files: artifacts as files under a root directory (``file://`` URLs).

Installed, it registers ``file://`` URLs for the artifact service kind.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "FileArtifactService": "runners_files.artifacts",
    "FilesSettings": "runners_files.settings",
    "ForeignContentError": "runners_files.errors",
    "parse_url": "runners_files.settings",
}

__all__ = ["FileArtifactService", "FilesSettings", "ForeignContentError", "parse_url"]

if TYPE_CHECKING:
    from runners_files.artifacts import FileArtifactService
    from runners_files.errors import ForeignContentError
    from runners_files.settings import FilesSettings, parse_url


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'runners_files' has no attribute {name!r}")
    return getattr(import_module(module), name)
