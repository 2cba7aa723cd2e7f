"""runners-server: ``runners serve``, an ADK api_server-compatible HTTP API and a web UI.

``create_app(ServerSettings(agents=["app.py:root_agent"]))`` builds the ASGI app
in Python; the ``runners serve`` command (added through ``register_commands``)
runs it under uvicorn. Importing this package imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ServerSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from runners_server.app import create_app

        return create_app
    if name == "ServerSettings":
        from runners_server.settings import ServerSettings

        return ServerSettings
    raise AttributeError(f"module 'runners_server' has no attribute {name!r}")


if TYPE_CHECKING:
    from runners_server.app import create_app
    from runners_server.settings import ServerSettings
