"""Server-wide routes: health, version, the list of apps."""

from __future__ import annotations

import sys

from fastapi import APIRouter, Depends, Query, Request

from runners_server.auth import principal

router = APIRouter()


@router.get("/health", tags=["meta"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/version", tags=["meta"])
async def version() -> dict[str, str]:
    from runners_core import __version__

    info = sys.version_info
    return {
        "version": __version__,
        "language": "python",
        "language_version": f"{info.major}.{info.minor}.{info.micro}",
    }


@router.get("/list-apps", tags=["apps"], dependencies=[Depends(principal)])
async def list_apps(
    request: Request,
    detailed: bool = Query(default=False, description="app details instead of names"),
) -> list[str] | dict[str, list[dict[str, object]]]:
    apps = request.app.state.apps
    if not detailed:
        return apps.names()
    return {
        "apps": [
            {
                "name": name,
                "rootAgentName": apps.runner(name).agent.name,
                "description": apps.runner(name).agent.description or "",
                "language": "python",
            }
            for name in apps.names()
        ]
    }
