"""The ASGI application: ADK's api_server routes, our extras, the web UI.

``create_app(settings)`` loads the agents and builds their runners at once, so
a bad agent reference or backend URL fails at startup with a clear message,
not at the first request; the lifespan closes them when the server stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from runners_server.apps import Apps, load_apps
from runners_server.auth import TokenAuth, keep_tokens_out_of_logs
from runners_server.errors import install_error_handlers
from runners_server.limits import BodyLimit
from runners_server.routes import artifacts, live, memory, meta, run, sessions
from runners_server.settings import ServerSettings, read_tokens

UI_DIR = Path(__file__).parent / "ui"

DESCRIPTION = """The HTTP API of Google ADK's `adk api_server` (same routes, bodies and
camelCase JSON), served for runners-core agents, with these additions:

- paging: `pageSize`/`pageToken` on the session list and on
  `GET .../sessions/{session}/events`; the next token is in the `X-Next-Page-Token` header;
- the session-busy policy per request (`sessionBusy`: `wait` or `reject`, which answers 409
  with `Retry-After`) and `busyTimeout`;
- idempotent runs: a `/run` or `/run_sse` with an `invocationId` that already ran replays the
  stored events of that invocation (header `X-Runners-Replayed: true`) instead of running the
  agent again;
- runs on one session never interleave, across worker processes too;
- optional bearer-token auth: a token stands for one user, who reaches only their own data.
"""


def create_app(settings: ServerSettings, *, apps: Apps | None = None) -> FastAPI:
    """The server for *settings* (or for ready *apps*, e.g. built by a test)."""
    from runners_core import __version__

    served = apps if apps is not None else load_apps(settings)
    keep_tokens_out_of_logs()
    auth = TokenAuth(read_tokens(settings.auth_tokens_file)) if settings.auth_tokens_file else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await served.close()

    app = FastAPI(
        title="runners serve",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.apps = served
    app.state.auth = auth
    install_error_handlers(app)
    for module in (meta, sessions, artifacts, memory, run, live):
        app.include_router(module.router)
    if settings.ui:
        app.mount("/ui", StaticFiles(directory=UI_DIR, html=True), name="ui")

        @app.get("/", include_in_schema=False)
        async def root() -> RedirectResponse:
            return RedirectResponse("/ui/")

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Next-Page-Token", "X-Runners-Replayed", "Retry-After"],
            allow_credentials=False,
        )
    return app
