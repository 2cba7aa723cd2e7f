"""Running the agent: ``POST /run`` (all events at once) and ``POST /run_sse`` (a stream).

Both answer only the agent's events (the user's event is stored, not echoed).
``/run_sse`` frames are ``data: <event JSON>`` and a blank line, as ADK's; an
event carrying both content and an artifact change goes out as two frames with
the same id (ADK's web UI expects it); a failure mid-stream is one
``data: {"error": ...}`` frame; the stream ends when the connection closes.
A client that goes away cancels the invocation cleanly (see ``invocations``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from runners_core.events import Event
from runners_server.auth import check_state_keys, check_user
from runners_server.invocations import BusyPolicy, Invocation
from runners_server.requests import RunAgentRequest
from runners_server.wire import event_json

log = logging.getLogger("runners_server")
REPLAYED = "X-Runners-Replayed"

router = APIRouter(tags=["run"])


async def _start(request: Request, req: RunAgentRequest, *, streaming: bool) -> Invocation:
    check_user(request, req.user_id)
    check_state_keys(request, req.state_delta)
    apps = request.app.state.apps
    app_name = req.app_name or _only_app(apps)
    runner = apps.runner(app_name)
    busy = BusyPolicy.choose(req, apps.session_busy, apps.busy_timeout)
    invocation = Invocation(runner, req, busy, streaming=streaming)
    await invocation.start()
    return invocation


def _only_app(apps) -> str:  # type: ignore[no-untyped-def]
    from fastapi import HTTPException

    names = apps.names()
    if len(names) == 1:
        return names[0]
    raise HTTPException(
        status_code=422,
        detail=[
            {
                "type": "missing",
                "loc": ["body", "appName"],
                "msg": f"Field required: this server serves {len(names)} apps ({', '.join(names)})",
                "input": None,
            }
        ],
    )


def _headers(invocation: Invocation) -> dict[str, str]:
    return {REPLAYED: "true"} if invocation.replayed else {}


@router.post("/run")
async def run(req: RunAgentRequest, request: Request) -> Response:
    """Run one turn and answer the agent's events as a JSON list."""
    invocation = await _start(request, req, streaming=False)
    collected: list[Event] = []

    async def collect() -> BaseException | None:
        async for item in invocation.events():
            if isinstance(item, BaseException):
                return item
            collected.append(item)
        return None

    async def watch_disconnect() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return

    collecting = asyncio.create_task(collect())
    watching = asyncio.create_task(watch_disconnect())
    try:
        done, _ = await asyncio.wait({collecting, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watching.cancel()
    if collecting not in done:
        log.warning("client left /run for session %s: cancelling the invocation", req.session_id)
        collecting.cancel()
        await invocation.cancel()
        return Response(status_code=499)
    failure = collecting.result()
    if failure is not None:
        raise failure
    return JSONResponse([event_json(e) for e in collected], headers=_headers(invocation))


@router.post("/run_sse")
async def run_sse(req: RunAgentRequest, request: Request) -> Response:
    """Run one turn and stream its events as server-sent events (partials if ``streaming``)."""
    invocation = await _start(request, req, streaming=req.streaming)
    split = not req.function_call_event_id
    return StreamingResponse(
        _frames(invocation, split_artifacts=split),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", **_headers(invocation)},
    )


async def _frames(invocation: Invocation, *, split_artifacts: bool) -> AsyncIterator[str]:
    try:
        async for item in invocation.events():
            if isinstance(item, BaseException):
                log.error("invocation failed mid-stream: %s", item)
                error = {"error": f"{type(item).__name__}: {item}"}
                yield f"data: {json.dumps(error)}\n\n"
                return
            for event in _split(item) if split_artifacts else (item,):
                yield f"data: {json.dumps(event_json(event), separators=(',', ':'))}\n\n"
    finally:
        # The client may have gone: stop the invocation and wait for it to end cleanly,
        # even though this generator is being cancelled.
        with anyio.CancelScope(shield=True):
            await invocation.cancel()


def _split(event: Event) -> tuple[Event, ...]:
    """ADK's two frames for an event with both content and an artifact delta."""
    if not (event.actions.artifact_delta and event.content and event.content.parts):
        return (event,)
    content = event.model_copy(
        update={"actions": event.actions.model_copy(update={"artifact_delta": {}})}
    )
    actions = event.model_copy(update={"content": None})
    return content, actions
