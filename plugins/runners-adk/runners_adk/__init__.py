"""runners-adk: Google ADK agents on runners-core, and runners-core backends inside ADK.

Direction 2 (ADK's Runner on our backends)::

    from google.adk.runners import Runner
    import runners_adk

    runner = Runner(app_name="app", agent=root_agent,
                    session_service=runners_adk.session_service("sqlite:///app.db"))

Direction 1 (an ADK agent on ``runners_core.Runner``): ``runners_adk.AdkAgent(root_agent)``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "RunnersSessionService": "runners_adk.sessions",
    "RunnersMemoryService": "runners_adk.memory",
    "RunnersArtifactService": "runners_adk.artifacts",
    "register_adk_services": "runners_adk.registry",
    "AdkAgent": "runners_adk.agent",
}

__all__ = [
    "AdkAgent",
    "RunnersArtifactService",
    "RunnersMemoryService",
    "RunnersSessionService",
    "artifact_service",
    "memory_service",
    "register_adk_services",
    "session_service",
]


def session_service(url: str, **options: Any) -> RunnersSessionService:
    """An ADK session service storing in the runners-core backend at *url*."""
    from runners_adk.sessions import RunnersSessionService

    return RunnersSessionService(url, **options)


def memory_service(url: str, **options: Any) -> RunnersMemoryService:
    """An ADK memory service backed by the runners-core backend at *url*."""
    from runners_adk.memory import RunnersMemoryService

    return RunnersMemoryService(url, **options)


def artifact_service(url: str, **options: Any) -> RunnersArtifactService:
    """An ADK artifact service backed by the runners-core backend at *url*."""
    from runners_adk.artifacts import RunnersArtifactService

    return RunnersArtifactService(url, **options)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'runners_adk' has no attribute {name!r}")
    return getattr(import_module(module), name)


if TYPE_CHECKING:
    from runners_adk.agent import AdkAgent
    from runners_adk.artifacts import RunnersArtifactService
    from runners_adk.memory import RunnersMemoryService
    from runners_adk.registry import register_adk_services
    from runners_adk.sessions import RunnersSessionService
