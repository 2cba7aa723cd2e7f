"""Bearer-token authentication: each token stands for one user, who reaches only their own data.

Off unless the server was given a tokens file. When on, every route under
``/apps/{app}/users/{user}`` and the run routes check that the token's user is
the user named in the path or body (403 otherwise); ``/health``, ``/version``
and the UI's static files stay open. Tokens are compared in constant time and
never logged.
"""

from __future__ import annotations

import hmac
import logging
import re

from fastapi import HTTPException, Request
from starlette.requests import HTTPConnection

BEARER = "Bearer"
# uvicorn logs each request's path with its query string: ``/run_live?...&token=...``.
_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s\"']*", re.IGNORECASE)
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn")


class TokenAuth:
    """Maps bearer tokens to user ids."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self._tokens = list(tokens.items())

    def user_for(self, token: str) -> str | None:
        found = None
        for known, user_id in self._tokens:
            # Check every token so timing does not tell how far a guess got.
            if hmac.compare_digest(known.encode(), token.encode()):
                found = user_id
        return found


def principal(connection: HTTPConnection) -> str | None:
    """The authenticated user of this request, None when auth is off; 401 if missing."""
    auth: TokenAuth | None = connection.app.state.auth
    if auth is None:
        return None
    token = _token(connection)
    user_id = auth.user_for(token) if token else None
    if user_id is None:
        raise HTTPException(
            status_code=401,
            detail="a valid bearer token is required (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": BEARER},
        )
    return user_id


def check_user(connection: HTTPConnection, user_id: str) -> None:
    """403 unless the request's user (if auth is on) is *user_id*."""
    current = principal(connection)
    if current is not None and current != user_id:
        raise HTTPException(
            status_code=403,
            detail=f"this token belongs to user {current!r}; it cannot reach user {user_id!r}'s "
            "data",
        )


def check_state_keys(connection: HTTPConnection, state: dict | None) -> None:
    """403 if, with auth on, a client-supplied state writes ``app:`` keys.

    ``app:`` state is shared by every user of the app: one user's token must not change
    what every other user's runs read. Agents still write it; without auth it is allowed.
    """
    if not state or principal(connection) is None:
        return
    shared = sorted(key for key in state if key.startswith("app:"))
    if shared:
        raise HTTPException(
            status_code=403,
            detail=f"app-wide state ({', '.join(repr(k) for k in shared)}) is shared by every "
            "user and cannot be set with a user's token; drop the app: keys (session and "
            "user: keys are allowed), or let the agent set them",
        )


async def authorize_path_user(request: Request) -> None:
    """Router dependency: the ``{user_id}`` in the path must be the token's user."""
    user_id = request.path_params.get("user_id")
    if user_id is None:
        principal(request)
    else:
        check_user(request, user_id)


def _token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == BEARER.lower() and value.strip():
        return value.strip()
    # Browsers cannot set headers on a WebSocket: the UI passes the token as a query parameter.
    if connection.scope["type"] == "websocket":
        return connection.query_params.get("token") or None
    return None


class RedactTokenQuery(logging.Filter):
    """Replaces the value of a ``token=`` query parameter in a log record with ``<redacted>``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                _TOKEN_IN_QUERY.sub(r"\1<redacted>", a) if isinstance(a, str) else a
                for a in record.args
            )
        if isinstance(record.msg, str) and "token=" in record.msg.lower():
            record.msg = _TOKEN_IN_QUERY.sub(r"\1<redacted>", record.msg)
        return True


def keep_tokens_out_of_logs() -> None:
    """Install the filter on uvicorn's loggers (once per process)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokenQuery) for f in logger.filters):
            logger.addFilter(RedactTokenQuery())
