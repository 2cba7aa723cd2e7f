"""A google.adk artifact service backed by any runners-core artifact backend."""

from __future__ import annotations

from typing import Any

from google.adk.artifacts.base_artifact_service import (
    ArtifactVersion as AdkArtifactVersion,
)
from google.adk.artifacts.base_artifact_service import (
    BaseArtifactService as AdkBaseArtifactService,
)
from google.genai import types

from runners_adk.convert import part_from_adk, part_to_adk
from runners_adk.urls import backend_url
from runners_core.artifacts.base import ArtifactVersion, BaseArtifactService
from runners_core.errors import ValidationError


def _version_to_adk(version: ArtifactVersion) -> AdkArtifactVersion:
    return AdkArtifactVersion.model_validate(version.model_dump())


class RunnersArtifactService(AdkBaseArtifactService):
    """An ADK ``BaseArtifactService`` that stores in a runners-core backend."""

    def __init__(
        self,
        uri: str | None = None,
        *,
        service: BaseArtifactService | None = None,
        agents_dir: str | None = None,
        **options: Any,
    ) -> None:
        # ADK's CLI builds services.yaml classes as cls(uri=..., agents_dir=...);
        # the agents folder means nothing to a backend URL, so it is not passed on.
        del agents_dir
        if (uri is None) == (service is None):
            raise ValidationError(
                "RunnersArtifactService takes a backend URL or service=..., exactly one of them"
            )
        if service is None:
            from runners_core.services import artifact_service_from_url

            service = artifact_service_from_url(backend_url(uri), **options)  # type: ignore[arg-type]
        if not isinstance(service, BaseArtifactService):
            raise ValidationError(
                f"service must be a runners_core BaseArtifactService, got {type(service).__name__}"
            )
        self._owned = uri is not None
        self.service = service

    async def save_artifact(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        artifact: types.Part | dict[str, Any],
        session_id: str | None = None,
        custom_metadata: dict[str, Any] | None = None,
    ) -> int:
        return await self.service.save_artifact(
            app_name=app_name,
            user_id=user_id,
            filename=filename,
            artifact=part_from_adk(artifact),
            session_id=session_id,
            custom_metadata=custom_metadata,
        )

    async def load_artifact(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        session_id: str | None = None,
        version: int | None = None,
    ) -> types.Part | None:
        part = await self.service.load_artifact(
            app_name=app_name,
            user_id=user_id,
            filename=filename,
            session_id=session_id,
            version=version,
        )
        return part_to_adk(part)

    async def list_artifact_keys(
        self, *, app_name: str, user_id: str, session_id: str | None = None
    ) -> list[str]:
        return await self.service.list_artifact_keys(
            app_name=app_name, user_id=user_id, session_id=session_id
        )

    async def delete_artifact(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> None:
        await self.service.delete_artifact(
            app_name=app_name, user_id=user_id, filename=filename, session_id=session_id
        )

    async def list_versions(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> list[int]:
        return await self.service.list_versions(
            app_name=app_name, user_id=user_id, filename=filename, session_id=session_id
        )

    async def list_artifact_versions(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> list[AdkArtifactVersion]:
        versions = await self.service.list_artifact_versions(
            app_name=app_name, user_id=user_id, filename=filename, session_id=session_id
        )
        return [_version_to_adk(v) for v in versions]

    async def get_artifact_version(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        session_id: str | None = None,
        version: int | None = None,
    ) -> AdkArtifactVersion | None:
        found = await self.service.get_artifact_version(
            app_name=app_name,
            user_id=user_id,
            filename=filename,
            session_id=session_id,
            version=version,
        )
        return None if found is None else _version_to_adk(found)

    async def close(self) -> None:
        if self._owned:
            await self.service.close()
