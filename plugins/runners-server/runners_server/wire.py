"""The JSON the API speaks: ADK's shapes (camelCase keys, ``None`` fields left out).

Events, content and sessions dump themselves in ADK's JSON (runners_core.wire);
the artifact and memory models of the kernel are plain snake_case models, so
their few fields are spelled out here as ADK's ``ArtifactVersion`` and
``MemoryEntry`` spell them.
"""

from __future__ import annotations

from typing import Any

from runners_core.artifacts.base import ArtifactVersion
from runners_core.events import Event
from runners_core.memory.base import SearchMemoryResponse
from runners_core.wire import WireModel


def dump(model: WireModel) -> Any:
    """A model as ADK writes it: camelCase, no ``None`` fields, bytes as base64."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def event_json(event: Event) -> dict[str, Any]:
    return dump(event)


def artifact_version_json(version: ArtifactVersion) -> dict[str, Any]:
    shown = {
        "version": version.version,
        "canonicalUri": version.canonical_uri,
        "customMetadata": version.custom_metadata,
        "createTime": version.create_time,
        "mimeType": version.mime_type,
    }
    return {key: value for key, value in shown.items() if value is not None}


def memory_json(found: SearchMemoryResponse) -> dict[str, Any]:
    memories = []
    for entry in found.memories:
        shown = {
            "content": dump(entry.content),
            "customMetadata": entry.custom_metadata,
            "id": entry.id,
            "author": entry.author,
            "timestamp": entry.timestamp,
        }
        memories.append({key: value for key, value in shown.items() if value is not None})
    return {"memories": memories}
