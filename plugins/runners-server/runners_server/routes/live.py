"""``WebSocket /run_live``: LiveRequest frames in, events out (ADK's live route).

Query parameters: ``app_name`` (optional with one app), ``user_id``,
``session_id``; ADK's modality options are accepted and ignored (our live
agents read text, blobs and activity signals from the queue). Each text frame
is one LiveRequest (``{"content": ...}``, ``{"blob": ...}``,
``{"activityStart": true}``, ``{"close": true}``); each event goes out as one
text frame. Close codes: 1002 unknown session, 1008 not allowed, 1013 session
busy (try again later), 1011 the run failed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import aclosing

from fastapi import APIRouter, HTTPException, Query, WebSocket, WebSocketDisconnect
from pydantic import ValidationError as PydanticValidationError

from runners_core.errors import SessionBusyError, SessionNotFoundError
from runners_core.live import LiveRequest, LiveRequestQueue
from runners_server.apps import UnknownAppError
from runners_server.auth import check_user
from runners_server.wire import event_json

log = logging.getLogger("runners_server")
MAX_REASON = 120

router = APIRouter(tags=["run"])


@router.websocket("/run_live")
async def run_live(
    websocket: WebSocket,
    user_id: str,
    session_id: str,
    app_name: str | None = Query(default=None),
) -> None:
    apps = websocket.app.state.apps
    try:
        check_user(websocket, user_id)
        names = apps.names()
        runner = apps.runner(app_name or (names[0] if len(names) == 1 else ""))
    except HTTPException as exc:
        await websocket.close(code=1008, reason=str(exc.detail)[:MAX_REASON])
        return
    except UnknownAppError as exc:
        await websocket.close(code=1008, reason=str(exc)[:MAX_REASON])
        return
    await websocket.accept()
    queue = LiveRequestQueue()

    async def forward() -> None:
        async with aclosing(
            runner.run_live(user_id=user_id, session_id=session_id, live_request_queue=queue)
        ) as events:
            async for event in events:
                await websocket.send_text(json.dumps(event_json(event)))

    async def receive() -> None:
        while True:
            text = await websocket.receive_text()
            try:
                request = LiveRequest.model_validate_json(text)
            except (ValueError, PydanticValidationError) as exc:
                await websocket.send_text(json.dumps({"error": f"bad LiveRequest: {exc}"}))
                continue
            if queue.closed:
                return
            queue.send(request)

    forwarding = asyncio.create_task(forward())
    receiving = asyncio.create_task(receive())
    done, pending = await asyncio.wait({forwarding, receiving}, return_when=asyncio.FIRST_COMPLETED)
    if receiving in done and forwarding not in done:
        # The client went away (or stopped sending): close the queue, let the run end.
        queue.close()
        try:
            await asyncio.wait_for(asyncio.shield(forwarding), timeout=5)
        except (TimeoutError, WebSocketDisconnect, RuntimeError):
            forwarding.cancel()
        done = {forwarding, receiving}
        pending = set()
    for task in pending:
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, WebSocketDisconnect):
            pass
    if receiving.done() and not receiving.cancelled():
        receiving.exception()  # a disconnect is how a client ends: mark it retrieved
    code, reason = 1000, ""
    failure = forwarding.exception() if forwarding.done() and not forwarding.cancelled() else None
    if isinstance(failure, SessionNotFoundError):
        code, reason = 1002, "Session not found"
    elif isinstance(failure, SessionBusyError):
        code, reason = 1013, str(failure)
    elif isinstance(failure, WebSocketDisconnect):
        return
    elif failure is not None:
        log.error("live run failed: %s", failure)
        code, reason = 1011, f"{type(failure).__name__}: {failure}"
    try:
        await websocket.close(code=code, reason=reason[:MAX_REASON])
    except RuntimeError:
        pass  # already closed by the client
