"""Artifacts: list, versions, version metadata, load, save, delete (ADK's routes).

Artifact names may contain ``/``, so the version routes are declared before the
catch-all load route. A version is a number or ``latest``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from runners_server.auth import authorize_path_user
from runners_server.requests import SaveArtifactRequest
from runners_server.wire import artifact_version_json, dump

PREFIX = "/apps/{app_name}/users/{user_id}/sessions/{session_id}/artifacts"

router = APIRouter(tags=["artifacts"], dependencies=[Depends(authorize_path_user)])


def _service(request: Request, app_name: str):  # type: ignore[no-untyped-def]
    runner = request.app.state.apps.runner(app_name)
    if runner.artifact_service is None:
        raise HTTPException(status_code=400, detail="no artifact service is configured")
    return runner.artifact_service


def _version(version_id: str) -> int | None:
    if version_id == "latest":
        return None
    try:
        return int(version_id)
    except ValueError:
        raise HTTPException(
            status_code=422, detail=f"Invalid version ID {version_id!r}: a number or 'latest'"
        ) from None


@router.get(PREFIX + "/{artifact_name:path}/versions/metadata")
async def list_artifact_versions_metadata(
    request: Request, app_name: str, user_id: str, session_id: str, artifact_name: str
) -> Response:
    versions = await _service(request, app_name).list_artifact_versions(
        app_name=app_name, user_id=user_id, session_id=session_id, filename=artifact_name
    )
    return JSONResponse([artifact_version_json(v) for v in versions])


@router.get(PREFIX + "/{artifact_name:path}/versions/{version_id}/metadata")
async def get_artifact_version_metadata(
    request: Request,
    app_name: str,
    user_id: str,
    session_id: str,
    artifact_name: str,
    version_id: str,
) -> Response:
    found = await _service(request, app_name).get_artifact_version(
        app_name=app_name,
        user_id=user_id,
        session_id=session_id,
        filename=artifact_name,
        version=_version(version_id),
    )
    if found is None:
        raise HTTPException(status_code=404, detail="Artifact version not found")
    return JSONResponse(artifact_version_json(found))


@router.get(PREFIX + "/{artifact_name:path}/versions/{version_id}")
async def load_artifact_version(
    request: Request,
    app_name: str,
    user_id: str,
    session_id: str,
    artifact_name: str,
    version_id: str,
) -> Response:
    part = await _service(request, app_name).load_artifact(
        app_name=app_name,
        user_id=user_id,
        session_id=session_id,
        filename=artifact_name,
        version=_version(version_id),
    )
    if part is None:
        raise HTTPException(status_code=404, detail="Artifact not found")
    return JSONResponse(dump(part))


@router.get(PREFIX + "/{artifact_name:path}/versions")
async def list_artifact_versions(
    request: Request, app_name: str, user_id: str, session_id: str, artifact_name: str
) -> list[int]:
    return await _service(request, app_name).list_versions(
        app_name=app_name, user_id=user_id, session_id=session_id, filename=artifact_name
    )


@router.get(PREFIX)
async def list_artifact_names(
    request: Request, app_name: str, user_id: str, session_id: str
) -> list[str]:
    return await _service(request, app_name).list_artifact_keys(
        app_name=app_name, user_id=user_id, session_id=session_id
    )


@router.post(PREFIX)
async def save_artifact(
    request: Request, app_name: str, user_id: str, session_id: str, req: SaveArtifactRequest
) -> Response:
    """Save a new version; answers its metadata (version numbers count from 0)."""
    service = _service(request, app_name)
    version = await service.save_artifact(
        app_name=app_name,
        user_id=user_id,
        session_id=session_id,
        filename=req.filename,
        artifact=req.artifact,
        custom_metadata=req.custom_metadata,
    )
    saved = await service.get_artifact_version(
        app_name=app_name,
        user_id=user_id,
        session_id=session_id,
        filename=req.filename,
        version=version,
    )
    if saved is None:
        raise HTTPException(status_code=500, detail="Artifact metadata unavailable")
    return JSONResponse(artifact_version_json(saved))


@router.get(PREFIX + "/{artifact_name:path}")
async def load_artifact(
    request: Request,
    app_name: str,
    user_id: str,
    session_id: str,
    artifact_name: str,
    version: int | None = Query(default=None, ge=0),
) -> Response:
    part = await _service(request, app_name).load_artifact(
        app_name=app_name,
        user_id=user_id,
        session_id=session_id,
        filename=artifact_name,
        version=version,
    )
    if part is None:
        raise HTTPException(status_code=404, detail="Artifact not found")
    return JSONResponse(dump(part))


@router.delete(PREFIX + "/{artifact_name:path}")
async def delete_artifact(
    request: Request, app_name: str, user_id: str, session_id: str, artifact_name: str
) -> None:
    await _service(request, app_name).delete_artifact(
        app_name=app_name, user_id=user_id, session_id=session_id, filename=artifact_name
    )
