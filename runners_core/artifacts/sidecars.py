"""The JSON sidecar that describes one stored version, for backends that keep files or objects.

Backends that store a version's payload as a file or an object of its own (runners-files,
runners-s3) write this document next to it: it names the artifact exactly (entries may be
escaped or hashed, see :mod:`runners_core.artifacts.keys`), carries the metadata the
base class returns, and the payload's size and SHA-256 so a load can tell a damaged or
hand-edited payload from the one that was saved.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

from runners_core.artifacts.base import ArtifactData, StoredArtifact
from runners_core.errors import ValidationError

_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "version": int,
    "kind": str,
    "size": int,
    "sha256": str,
    "create_time": (int, float),
    "custom_metadata": dict,
}


def describe(
    *,
    format: str,
    app_name: str,
    user_id: str,
    session_id: str | None,
    filename: str,
    data: ArtifactData,
    now: float,
) -> dict[str, Any]:
    """The sidecar of a version about to be saved (``version`` and ``sha256`` still unset).

    Raises ValidationError, before anything is written, when custom metadata is not JSON.
    """
    try:
        metadata = json.loads(to_json(data.custom_metadata))
    except (PydanticSerializationError, ValueError) as exc:
        raise ValidationError(
            f"custom_metadata of artifact {filename!r} cannot be stored as JSON ({exc}); "
            "use strings, numbers, booleans, lists and dicts"
        ) from None
    return {
        "format": format,
        "app_name": app_name,
        "user_id": user_id,
        "session_id": session_id,
        "name": filename,
        "kind": data.kind,
        "mime_type": data.mime_type,
        "custom_metadata": metadata,
        "create_time": now,
        "size": len(data.data),
    }


def checksum(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def encode(sidecar: dict[str, Any]) -> bytes:
    return json.dumps(sidecar, ensure_ascii=False).encode()


def parse(raw: bytes, *, format: str, version: int) -> dict[str, Any]:
    """The sidecar in *raw*; ValueError saying what is wrong if it is not one of *format*."""
    try:
        sidecar = json.loads(raw)
    except ValueError:
        raise ValueError("is not JSON") from None
    if not isinstance(sidecar, dict) or sidecar.get("format") != format:
        raise ValueError(f"is not a {format} sidecar")
    for key, kind in _FIELDS.items():
        if not isinstance(sidecar.get(key), kind):
            raise ValueError(f"has no valid {key!r}")
    if sidecar["version"] != version:
        raise ValueError(f"describes version {sidecar['version']}")
    return sidecar


def payload_problem(sidecar: dict[str, Any], payload: bytes | None) -> str | None:
    """Why *payload* is not the one *sidecar* describes, or None if it is."""
    if payload is None or len(payload) != sidecar["size"]:
        return f"is missing or truncated (expected {sidecar['size']} bytes)"
    if checksum(payload) != sidecar["sha256"]:
        return "does not match the SHA-256 in its sidecar: it was changed or damaged"
    return None


def stored(sidecar: dict[str, Any], payload: bytes) -> StoredArtifact:
    """The base class's view of a version (*payload* may be ``b""`` for metadata only)."""
    data = ArtifactData(
        sidecar["kind"], payload, sidecar.get("mime_type"), dict(sidecar["custom_metadata"])
    )
    return StoredArtifact(sidecar["version"], data, float(sidecar["create_time"]))


def name_in(raw: bytes | None) -> str | None:
    """The artifact name a sidecar holds, or None if *raw* is not readable as one."""
    try:
        name = json.loads(raw or b"").get("name")
    except (ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None
