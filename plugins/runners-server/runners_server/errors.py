"""Errors as HTTP answers: ADK's ``{"detail": ...}`` with the status a client can act on.

- unknown app, session or artifact: 404
- a duplicate session id, or a session busy with another invocation: 409
  (busy adds ``Retry-After``)
- an unusable value (identifier, artifact name, page token, ...): 400
- a storage backend that is down: 503 with ``Retry-After``
- a body that does not match the schema: 422 naming the field (FastAPI's own)
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from runners_core.errors import (
    BackendError,
    RunnersError,
    SessionBusyError,
    SessionExistsError,
    SessionNotFoundError,
    ValidationError,
)
from runners_server.apps import UnknownAppError

log = logging.getLogger("runners_server")

BUSY_RETRY_AFTER = "1"
BACKEND_RETRY_AFTER = "5"


def error_status(exc: BaseException) -> tuple[int, dict[str, str]]:
    """The status code and extra headers for one of our errors."""
    if isinstance(exc, SessionNotFoundError | UnknownAppError):
        return 404, {}
    if isinstance(exc, SessionBusyError):
        return 409, {"Retry-After": BUSY_RETRY_AFTER}
    if isinstance(exc, SessionExistsError):
        return 409, {}
    if isinstance(exc, ValidationError):
        return 400, {}
    if isinstance(exc, BackendError):
        return 503, {"Retry-After": BACKEND_RETRY_AFTER}
    return 500, {}


def error_detail(exc: BaseException) -> str:
    if isinstance(exc, BackendError):
        return f"{exc} (the storage backend is unavailable; retry in {BACKEND_RETRY_AFTER}s)"
    return str(exc)


def error_response(exc: BaseException) -> JSONResponse:
    status, headers = error_status(exc)
    return JSONResponse({"detail": error_detail(exc)}, status_code=status, headers=headers)


async def _runners_error(request: Request, exc: Exception) -> JSONResponse:
    status, _ = error_status(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    return error_response(exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RunnersError, _runners_error)
