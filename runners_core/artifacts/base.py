"""The artifact service contract, with shared logic in the base class.

Backends store versioned blobs under ``(app, user, scope, name)`` where scope
is a session id, or None for user-wide artifacts (names starting ``user:``).
Validation (including path traversal), scope resolution, size limits and
encoding a :class:`Part` to bytes and back live here once.
"""

from __future__ import annotations

import time
from abc import ABC
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from runners_core.artifacts.references import MAX_DEPTH, checked_reference, is_reference
from runners_core.content import Blob, Part
from runners_core.errors import ValidationError
from runners_core.identifiers import validate_artifact_name, validate_id
from runners_core.service_routes import Route, service_route

DEFAULT_MAX_ARTIFACT_BYTES = 64 * 1024 * 1024
USER_SCOPE_PREFIX = "user:"
# How a backend writes "no session" (a user-wide artifact) where a key needs a value:
# the empty string in a column, the segment "user" in a path ("sessions/<id>" otherwise).
USER_SCOPE = ""
USER_SCOPE_SEGMENT = "user"


def scope_column(session_id: str | None) -> str:
    """The scope value a relational backend stores: the session id, or "" for user-wide."""
    return USER_SCOPE if session_id is None else session_id


def scope_segments(session_id: str | None, encode: Callable[[str], str] = str) -> list[str]:
    """The path segments of a scope: ``["user"]`` or ``["sessions", encode(session_id)]``."""
    if session_id is None:
        return [USER_SCOPE_SEGMENT]
    return ["sessions", encode(session_id)]


# How a Part is stored: raw blob bytes, UTF-8 text, or the Part's JSON (file_data, ...).
KIND_BLOB, KIND_TEXT, KIND_PART = "blob", "text", "part"


class ArtifactVersion(BaseModel):
    """Metadata of one stored version of an artifact."""

    model_config = ConfigDict(defer_build=True)

    version: int
    canonical_uri: str
    custom_metadata: dict[str, Any] = Field(default_factory=dict)
    create_time: float = Field(default_factory=time.time)
    mime_type: str | None = None


@dataclass(frozen=True)
class ArtifactData:
    """An artifact payload as backends store it."""

    kind: str
    data: bytes
    mime_type: str | None
    custom_metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_part(cls, part: Part, custom_metadata: dict[str, Any] | None) -> ArtifactData:
        meta = dict(custom_metadata or {})
        if part.inline_data is not None and part.inline_data.display_name is None:
            return cls(KIND_BLOB, part.inline_data.data, part.inline_data.mime_type, meta)
        if part.inline_data is not None:
            # Kept whole (display name included) in the Part's JSON, bytes base64-encoded.
            return cls(
                KIND_PART,
                part.model_dump_json(exclude_none=True).encode(),
                part.inline_data.mime_type,
                meta,
            )
        if part.text is not None:
            return cls(KIND_TEXT, part.text.encode("utf-8"), "text/plain", meta)
        if part.file_data is not None:
            return cls(
                KIND_PART,
                part.model_dump_json(exclude_none=True).encode(),
                part.file_data.mime_type,
                meta,
            )
        raise ValidationError(
            "an artifact must be a Part with inline_data, text or file_data; "
            "use Part.from_bytes(data, mime_type) for binary files"
        )

    def to_part(self) -> Part:
        if self.kind == KIND_BLOB:
            return Part(inline_data=Blob(data=self.data, mime_type=self.mime_type))
        if self.kind == KIND_TEXT:
            return Part(text=self.data.decode("utf-8"))
        return Part.model_validate_json(self.data)


@dataclass(frozen=True)
class StoredArtifact:
    """One version as a backend returns it."""

    version: int
    data: ArtifactData
    create_time: float


class BaseArtifactService(ABC):
    """Stores versioned artifacts; versions count from 0 per name and scope."""

    capabilities: ClassVar[frozenset[str]] = frozenset()
    scheme: ClassVar[str] = "memory"
    _route: Route

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        route = service_route(
            cls,
            BaseArtifactService,
            kind="artifact",
            public=(
                "save_artifact",
                "load_artifact",
                "list_artifact_keys",
                "delete_artifact",
                "list_versions",
            ),
            primitives=("_put", "_get", "_names", "_versions", "_delete"),
        )
        self = super().__new__(cls)
        self._route = route
        # Services written for ADK define __init__ without calling ours.
        BaseArtifactService.__init__(self)
        return self

    def __init__(self, *, max_artifact_bytes: int = DEFAULT_MAX_ARTIFACT_BYTES) -> None:
        self.max_artifact_bytes = max_artifact_bytes

    async def save_artifact(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        artifact: Part,
        session_id: str | None = None,
        custom_metadata: dict[str, Any] | None = None,
    ) -> int:
        """Store a new version of *filename* and return its number (0 for the first)."""
        scope = self._scope(app_name, user_id, filename, session_id)
        if isinstance(artifact, dict):
            artifact = Part.model_validate(artifact)
        if is_reference(artifact):
            checked_reference(
                artifact.file_data.file_uri,  # type: ignore[union-attr, arg-type]
                app_name=app_name,
                user_id=user_id,
                session_id=scope,
            )
        payload = ArtifactData.from_part(artifact, custom_metadata)
        if len(payload.data) > self.max_artifact_bytes:
            raise ValidationError(
                f"artifact {filename!r} is {len(payload.data)} bytes; the limit is "
                f"{self.max_artifact_bytes} (max_artifact_bytes). Raise the limit when "
                "building the service or store the file elsewhere and save a file_data reference"
            )
        return await self._put(
            app_name=app_name,
            user_id=user_id,
            session_id=scope,
            filename=filename,
            data=payload,
            now=time.time(),
        )

    async def load_artifact(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        session_id: str | None = None,
        version: int | None = None,
    ) -> Part | None:
        """The given version (default: latest) of *filename*, or None.

        A version holding an ``artifact://`` reference loads the artifact it
        points at (within the same app, user and session; at most 5 hops).
        """
        for _ in range(MAX_DEPTH + 1):
            part = await self._load_one(app_name, user_id, filename, session_id, version)
            if part is None or not is_reference(part):
                return part
            target = checked_reference(
                part.file_data.file_uri,  # type: ignore[union-attr, arg-type]
                app_name=app_name,
                user_id=user_id,
                session_id=session_id,
            )
            filename, session_id, version = target.filename, target.session_id, target.version
        raise ValidationError(
            f"artifact {filename!r}: more than {MAX_DEPTH} artifact:// references in a row; "
            "a reference chain probably loops"
        )

    async def _load_one(
        self,
        app_name: str,
        user_id: str,
        filename: str,
        session_id: str | None,
        version: int | None,
    ) -> Part | None:
        scope = self._scope(app_name, user_id, filename, session_id)
        stored = await self._get(
            app_name=app_name,
            user_id=user_id,
            session_id=scope,
            filename=filename,
            version=_version(version),
        )
        if stored is None or _is_tombstone(stored.data):
            return None
        return stored.data.to_part()

    async def list_artifact_keys(
        self, *, app_name: str, user_id: str, session_id: str | None = None
    ) -> list[str]:
        """Names in the session (if given) and the user's ``user:`` names, sorted."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        names = set(await self._names(app_name=app_name, user_id=user_id, session_id=None))
        if session_id is not None:
            validate_id("session_id", session_id)
            names.update(
                await self._names(app_name=app_name, user_id=user_id, session_id=session_id)
            )
        return sorted(names)

    async def delete_artifact(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> None:
        """Delete every version of *filename*; deleting a missing artifact is not an error."""
        scope = self._scope(app_name, user_id, filename, session_id)
        await self._delete(app_name=app_name, user_id=user_id, session_id=scope, filename=filename)

    async def delete_artifact_versions(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        versions: Sequence[int],
        session_id: str | None = None,
    ) -> None:
        """Delete these versions of *filename* (retention); the others keep their numbers."""
        scope = self._scope(app_name, user_id, filename, session_id)
        numbers = sorted(set(versions))
        if any(v is None or _version(v) is None for v in numbers):
            raise ValidationError("versions must be integers >= 0")
        if numbers:
            await self._delete_versions(
                app_name=app_name,
                user_id=user_id,
                session_id=scope,
                filename=filename,
                versions=numbers,
            )

    async def import_artifact_version(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        version: int,
        data: ArtifactData,
        create_time: float,
        session_id: str | None = None,
    ) -> bool:
        """Store exactly this version with its metadata and time (import, migrate); False
        if that version is stored already (so importing twice changes nothing)."""
        scope = self._scope(app_name, user_id, filename, session_id)
        if _version(version) is None:
            raise ValidationError("version must be an integer >= 0")
        if len(data.data) > self.max_artifact_bytes:
            raise ValidationError(
                f"artifact {filename!r} version {version} is {len(data.data)} bytes; the "
                f"limit is {self.max_artifact_bytes} (max_artifact_bytes)"
            )
        return await self._put_version(
            app_name=app_name,
            user_id=user_id,
            session_id=scope,
            filename=filename,
            version=version,
            data=data,
            create_time=create_time,
        )

    async def list_versions(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> list[int]:
        """Stored version numbers of *filename*, ascending."""
        return [
            v.version
            for v in await self.list_artifact_versions(
                app_name=app_name, user_id=user_id, filename=filename, session_id=session_id
            )
        ]

    async def list_artifact_versions(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> list[ArtifactVersion]:
        """Metadata of every stored version of *filename*, ascending."""
        scope = self._scope(app_name, user_id, filename, session_id)
        stored = await self._versions(
            app_name=app_name, user_id=user_id, session_id=scope, filename=filename
        )
        return [self._version_info(app_name, user_id, scope, filename, s) for s in stored]

    async def get_artifact_version(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        session_id: str | None = None,
        version: int | None = None,
    ) -> ArtifactVersion | None:
        """Metadata of one version (default: latest), or None."""
        scope = self._scope(app_name, user_id, filename, session_id)
        stored = await self._get(
            app_name=app_name,
            user_id=user_id,
            session_id=scope,
            filename=filename,
            version=_version(version),
        )
        if stored is None:
            return None
        return self._version_info(app_name, user_id, scope, filename, stored)

    async def read_artifact_version(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        version: int,
        session_id: str | None = None,
    ) -> StoredArtifact | None:
        """One version as stored: payload, kind, metadata and time (export, migrate)."""
        scope = self._scope(app_name, user_id, filename, session_id)
        return await self._get(
            app_name=app_name,
            user_id=user_id,
            session_id=scope,
            filename=filename,
            version=_version(version),
        )

    async def close(self) -> None:
        """Release connections and files."""

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _scope(app_name: str, user_id: str, filename: str, session_id: str | None) -> str | None:
        """The session the artifact belongs to, or None when it is user-wide."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        validate_artifact_name(filename)
        if filename.startswith(USER_SCOPE_PREFIX) or session_id is None:
            return None
        return validate_id("session_id", session_id)

    def canonical_uri(
        self, app_name: str, user_id: str, session_id: str | None, filename: str, version: int
    ) -> str:
        scope = f"sessions/{session_id}" if session_id else "user"
        return (
            f"{self.scheme}://apps/{app_name}/users/{user_id}/{scope}/artifacts/"
            f"{filename}/versions/{version}"
        )

    def _version_info(
        self,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        stored: StoredArtifact,
    ) -> ArtifactVersion:
        return ArtifactVersion(
            version=stored.version,
            canonical_uri=self.canonical_uri(
                app_name, user_id, session_id, filename, stored.version
            ),
            custom_metadata=dict(stored.data.custom_metadata),
            create_time=stored.create_time,
            mime_type=stored.data.mime_type,
        )

    # ------------------------------------------------------------------ storage primitives

    async def _put(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        data: ArtifactData,
        now: float,
    ) -> int:
        """Store the next version atomically (max existing + 1, or 0) and return it."""
        raise _not_implemented(self, "_put")

    async def _get(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        version: int | None,
    ) -> StoredArtifact | None:
        """One version (None: the latest), or None if absent."""
        if self._route != "public":
            raise _not_implemented(self, "_get")
        # A service written for ADK: metadata derived from its public methods.
        if version is None:
            numbers = await self.list_versions(
                app_name=app_name, user_id=user_id, filename=filename, session_id=session_id
            )
            if not numbers:
                return None
            version = max(numbers)
        part = await self.load_artifact(
            app_name=app_name,
            user_id=user_id,
            filename=filename,
            session_id=session_id,
            version=version,
        )
        if part is None:
            return None
        return StoredArtifact(version, ArtifactData.from_part(part, None), create_time=0.0)

    async def _names(self, *, app_name: str, user_id: str, session_id: str | None) -> list[str]:
        """Names stored in exactly this scope (session_id None: user-wide names)."""
        raise _not_implemented(self, "_names")

    async def _versions(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> list[StoredArtifact]:
        """Every stored version, ascending (payload may be omitted by lazy backends)."""
        if self._route != "public":
            raise _not_implemented(self, "_versions")
        numbers = await self.list_versions(
            app_name=app_name, user_id=user_id, filename=filename, session_id=session_id
        )
        found = [
            await self._get(
                app_name=app_name,
                user_id=user_id,
                session_id=session_id,
                filename=filename,
                version=number,
            )
            for number in sorted(numbers)
        ]
        return [stored for stored in found if stored is not None]

    async def _delete(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> None:
        """Remove every version of the name in this scope."""
        raise _not_implemented(self, "_delete")

    async def _delete_versions(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        versions: Sequence[int],
    ) -> None:
        """Remove these versions of the name in this scope. Optional: retention needs it."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot delete single artifact versions (it does not "
            "implement _delete_versions), so retention cannot trim its artifacts"
        )

    async def _put_version(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        version: int,
        data: ArtifactData,
        create_time: float,
    ) -> bool:
        """Insert exactly this version unless it exists (False). Optional: import needs it."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot store a given artifact version (it does not "
            "implement _put_version), so artifacts cannot be imported into it exactly"
        )


REWOUND_KEY = "runners_core:rewound"
"""``custom_metadata`` key of the version a rewind saves over an artifact that did not exist."""


def rewind_tombstone() -> tuple[Part, dict[str, Any]]:
    """The part and metadata a rewind saves to hide an artifact: that version loads as None.

    ADK marks it by an empty octet-stream payload alone, so a real empty file
    also reads as deleted there; the metadata flag keeps empty files loadable.
    """
    return Part(inline_data=Blob(data=b"", mime_type="application/octet-stream")), {
        REWOUND_KEY: True
    }


def _is_tombstone(data: ArtifactData) -> bool:
    return data.custom_metadata.get(REWOUND_KEY) is True and not data.data


def _not_implemented(service: object, method: str) -> NotImplementedError:
    return NotImplementedError(
        f"{type(service).__name__} does not implement {method}; it overrides ADK's public "
        "methods, so call those (or implement the storage primitives, docs/plugins.md)"
    )


def _version(version: int | None) -> int | None:
    if version is not None and (not isinstance(version, int) or version < 0):
        raise ValidationError(f"artifact version must be an integer >= 0, got {version!r}")
    return version
