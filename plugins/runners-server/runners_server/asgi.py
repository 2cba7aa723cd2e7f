"""The app factory uvicorn imports in each worker process (``--workers``, ``--reload``).

``runners serve`` puts its settings in ``RUNNERS_SERVER_SETTINGS`` and starts
uvicorn with ``runners_server.asgi:app_from_env`` and ``factory=True``.
"""

from __future__ import annotations

from fastapi import FastAPI

from runners_server.app import create_app
from runners_server.settings import ServerSettings


def app_from_env() -> FastAPI:
    return create_app(ServerSettings.from_env())
