"""Memory: ADK's route that adds a session's events to the memory service, and a search."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from runners_server.auth import authorize_path_user
from runners_server.requests import UpdateMemoryRequest
from runners_server.wire import memory_json

PREFIX = "/apps/{app_name}/users/{user_id}/memory"

router = APIRouter(tags=["memory"], dependencies=[Depends(authorize_path_user)])


def _memory(request: Request, app_name: str):  # type: ignore[no-untyped-def]
    runner = request.app.state.apps.runner(app_name)
    if runner.memory_service is None:
        raise HTTPException(status_code=400, detail="Memory service is not configured.")
    return runner


@router.patch(PREFIX)
async def patch_memory(
    request: Request, app_name: str, user_id: str, req: UpdateMemoryRequest
) -> None:
    """Add every event of the session ``sessionId`` to the memory service."""
    runner = _memory(request, app_name)
    session = await runner.session_service.get_session(
        app_name=app_name, user_id=user_id, session_id=req.session_id
    )
    if session is None:
        raise HTTPException(status_code=404, detail=f"Session not found: {req.session_id}")
    await runner.memory_service.add_session_to_memory(session)


@router.get(PREFIX)
async def search_memory(
    request: Request, app_name: str, user_id: str, query: str = Query(min_length=1)
) -> JSONResponse:
    """runners: search the user's memory (``{"memories": [...]}``, ADK's SearchMemoryResponse)."""
    runner = _memory(request, app_name)
    found = await runner.memory_service.search_memory(
        app_name=app_name, user_id=user_id, query=query
    )
    return JSONResponse(memory_json(found))
