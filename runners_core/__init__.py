"""runners-core: an agent-runner kernel with a plugin ecosystem.

Public names are imported lazily on first use, so ``import runners_core`` stays
cheap (the CLI and plugin discovery import only what they need).
"""

from __future__ import annotations

from importlib import import_module

# typing.TYPE_CHECKING without importing typing: ``import runners_core`` stays a
# few milliseconds (type checkers treat this spelling alike).
TYPE_CHECKING = False

__version__ = "0.1.0"

_EXPORTS = {
    "Runner": "runners_core.runner",
    "InMemoryRunner": "runners_core.runner",
    "App": "runners_core.app",
    "BasePlugin": "runners_core.plugins.adk_style",
    "BaseAgent": "runners_core.agents.base_agent",
    "SequentialAgent": "runners_core.agents.sequential_agent",
    "ParallelAgent": "runners_core.agents.parallel_agent",
    "LoopAgent": "runners_core.agents.loop_agent",
    "CallbackContext": "runners_core.agents.callback_context",
    "ReadonlyContext": "runners_core.agents.callback_context",
    "InvocationContext": "runners_core.agents.invocation_context",
    "RunConfig": "runners_core.agents.run_config",
    "StreamingMode": "runners_core.agents.run_config",
    "Content": "runners_core.content",
    "Part": "runners_core.content",
    "Blob": "runners_core.content",
    "FileData": "runners_core.content",
    "FunctionCall": "runners_core.content",
    "FunctionResponse": "runners_core.content",
    "Event": "runners_core.events",
    "EventActions": "runners_core.events",
    "Session": "runners_core.sessions.session",
    "GetSessionConfig": "runners_core.sessions.session",
    "ListSessionsResponse": "runners_core.sessions.session",
    "ListEventsResponse": "runners_core.sessions.session",
    "State": "runners_core.sessions.state",
    "BaseSessionService": "runners_core.sessions.base",
    "InMemorySessionService": "runners_core.sessions.in_memory",
    "BaseMemoryService": "runners_core.memory.base",
    "InMemoryMemoryService": "runners_core.memory.in_memory",
    "MemoryEntry": "runners_core.memory.base",
    "SearchMemoryResponse": "runners_core.memory.base",
    "BaseArtifactService": "runners_core.artifacts.base",
    "InMemoryArtifactService": "runners_core.artifacts.in_memory",
    "ArtifactVersion": "runners_core.artifacts.base",
    "LiveRequest": "runners_core.live",
    "LiveRequestQueue": "runners_core.live",
    "hookimpl": "runners_core.hookspecs",
    "hookspec": "runners_core.hookspecs",
    "ServiceRegistry": "runners_core.plugins.registry",
    "load_plugins": "runners_core.plugins.manager",
    "load_config": "runners_core.config",
    "session_service_from_url": "runners_core.services",
    "memory_service_from_url": "runners_core.services",
    "artifact_service_from_url": "runners_core.services",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'runners_core' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:
    from typing import Any

    from runners_core.agents.base_agent import BaseAgent
    from runners_core.agents.callback_context import CallbackContext, ReadonlyContext
    from runners_core.agents.invocation_context import InvocationContext
    from runners_core.agents.loop_agent import LoopAgent
    from runners_core.agents.parallel_agent import ParallelAgent
    from runners_core.agents.run_config import RunConfig, StreamingMode
    from runners_core.agents.sequential_agent import SequentialAgent
    from runners_core.app import App
    from runners_core.artifacts.base import ArtifactVersion, BaseArtifactService
    from runners_core.artifacts.in_memory import InMemoryArtifactService
    from runners_core.config import load_config
    from runners_core.content import Blob, Content, FileData, FunctionCall, FunctionResponse, Part
    from runners_core.events import Event, EventActions
    from runners_core.hookspecs import hookimpl, hookspec
    from runners_core.live import LiveRequest, LiveRequestQueue
    from runners_core.memory.base import BaseMemoryService, MemoryEntry, SearchMemoryResponse
    from runners_core.memory.in_memory import InMemoryMemoryService
    from runners_core.plugins.adk_style import BasePlugin
    from runners_core.plugins.manager import load_plugins
    from runners_core.plugins.registry import ServiceRegistry
    from runners_core.runner import InMemoryRunner, Runner
    from runners_core.services import (
        artifact_service_from_url,
        memory_service_from_url,
        session_service_from_url,
    )
    from runners_core.sessions.base import BaseSessionService
    from runners_core.sessions.in_memory import InMemorySessionService
    from runners_core.sessions.session import (
        GetSessionConfig,
        ListEventsResponse,
        ListSessionsResponse,
        Session,
    )
    from runners_core.sessions.state import State
