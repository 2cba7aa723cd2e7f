"""Sessions: ADK's CRUD routes, plus paging (``pageSize``/``pageToken``) and an events page.

Paged responses keep ADK's shape (a JSON list); the token of the next page is
in the ``X-Next-Page-Token`` header, absent on the last page.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from runners_core.events import Event, EventActions
from runners_core.sessions.session import GetSessionConfig
from runners_server.auth import authorize_path_user, check_state_keys
from runners_server.requests import CreateSessionRequest, UpdateSessionRequest
from runners_server.wire import dump, event_json

NEXT_PAGE = "X-Next-Page-Token"
PREFIX = "/apps/{app_name}/users/{user_id}/sessions"

router = APIRouter(tags=["sessions"], dependencies=[Depends(authorize_path_user)])

PageSize = Query(
    default=None,
    alias="pageSize",
    ge=1,
    le=10_000,
    description="runners: page size; without it every item is returned, as ADK does",
)
PageToken = Query(
    default=None, alias="pageToken", description="runners: X-Next-Page-Token of the last page"
)


def _paged(items: list[Any], token: str | None) -> JSONResponse:
    headers = {NEXT_PAGE: token} if token else {}
    return JSONResponse(items, headers=headers)


def _not_found(session_id: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"Session not found: {session_id}")


@router.get(PREFIX)
async def list_sessions(
    request: Request,
    app_name: str,
    user_id: str,
    page_size: int | None = PageSize,
    page_token: str | None = PageToken,
) -> Response:
    """The user's sessions without their events (ADK: a list of sessions)."""
    service = request.app.state.apps.runner(app_name).session_service
    if page_size is not None or page_token is not None:
        page = await service.list_sessions(
            app_name=app_name, user_id=user_id, page_size=page_size, page_token=page_token
        )
        return _paged([dump(s) for s in page.sessions], page.next_page_token)
    everything: list[Any] = []
    token: str | None = None
    while True:
        page = await service.list_sessions(app_name=app_name, user_id=user_id, page_token=token)
        everything.extend(dump(s) for s in page.sessions)
        token = page.next_page_token
        if not token:
            return JSONResponse(everything)


@router.post(PREFIX)
async def create_session(
    request: Request,
    app_name: str,
    user_id: str,
    req: CreateSessionRequest | None = None,
) -> Response:
    """Create a session (409 if ``sessionId`` is taken), optionally with initial events."""
    runner = request.app.state.apps.runner(app_name)
    req = req or CreateSessionRequest()
    check_state_keys(request, req.state)
    for index, event in enumerate(req.events or []):
        if not event.actions.is_empty() or event.long_running_tool_ids:
            raise HTTPException(
                status_code=400,
                detail=f"Session initialization event {index} cannot include event actions "
                "or long-running tool ids; send plain messages",
            )
    session = await runner.session_service.create_session(
        app_name=app_name, user_id=user_id, state=req.state, session_id=req.session_id
    )
    for event in req.events or []:
        await runner.session_service.append_event(session, event)
    return JSONResponse(dump(session))


@router.post(PREFIX + "/{session_id}", deprecated=True)
async def create_session_with_id(
    request: Request,
    app_name: str,
    user_id: str,
    session_id: str,
    state: Annotated[dict[str, Any] | None, Body()] = None,
) -> Response:
    """ADK's older form: the id in the path, the initial state as the body."""
    check_state_keys(request, state)
    service = request.app.state.apps.runner(app_name).session_service
    session = await service.create_session(
        app_name=app_name, user_id=user_id, state=state, session_id=session_id
    )
    return JSONResponse(dump(session))


@router.get(PREFIX + "/{session_id}")
async def get_session(
    request: Request,
    app_name: str,
    user_id: str,
    session_id: str,
    num_recent_events: int | None = Query(
        default=None, alias="numRecentEvents", ge=0, description="runners: only the last N events"
    ),
    after_timestamp: float | None = Query(
        default=None, alias="afterTimestamp", description="runners: only events from this time"
    ),
) -> Response:
    """A session with its events (all of them, unless limited)."""
    service = request.app.state.apps.runner(app_name).session_service
    session = await service.get_session(
        app_name=app_name,
        user_id=user_id,
        session_id=session_id,
        config=GetSessionConfig(
            num_recent_events=num_recent_events, after_timestamp=after_timestamp
        ),
    )
    if session is None:
        raise _not_found(session_id)
    return JSONResponse(dump(session))


@router.get(PREFIX + "/{session_id}/events")
async def list_events(
    request: Request,
    app_name: str,
    user_id: str,
    session_id: str,
    page_size: int | None = Query(default=100, alias="pageSize", ge=1, le=10_000),
    page_token: str | None = PageToken,
) -> Response:
    """runners: a page of the session's events, oldest first (a list; next token in a header)."""
    service = request.app.state.apps.runner(app_name).session_service
    page = await service.list_events(
        app_name=app_name,
        user_id=user_id,
        session_id=session_id,
        page_size=page_size,
        page_token=page_token,
    )
    return _paged([event_json(e) for e in page.events], page.next_page_token)


@router.delete(PREFIX + "/{session_id}")
async def delete_session(request: Request, app_name: str, user_id: str, session_id: str) -> None:
    """Delete a session and its events (deleting a missing session is not an error)."""
    service = request.app.state.apps.runner(app_name).session_service
    await service.delete_session(app_name=app_name, user_id=user_id, session_id=session_id)


@router.patch(PREFIX + "/{session_id}")
async def update_session(
    request: Request, app_name: str, user_id: str, session_id: str, req: UpdateSessionRequest
) -> Response:
    """Apply ``stateDelta`` without running the agent (stored as a user event, as ADK does).

    Takes the session's run lock, so the change lands between invocations,
    never inside one.
    """
    check_state_keys(request, req.state_delta)
    apps = request.app.state.apps
    runner = apps.runner(app_name)
    timeout = 0 if apps.session_busy == "reject" else apps.busy_timeout
    async with runner.hold_session(user_id=user_id, session_id=session_id, timeout=timeout):
        session = await runner.session_service.get_session(
            app_name=app_name, user_id=user_id, session_id=session_id
        )
        if session is None:
            raise _not_found(session_id)
        event = Event(
            invocation_id=f"p-{secrets.token_hex(8)}",
            author="user",
            actions=EventActions(state_delta=req.state_delta),
        )
        await runner.session_service.append_event(session, event)
    return JSONResponse(dump(session))
