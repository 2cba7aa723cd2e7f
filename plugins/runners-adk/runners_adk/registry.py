"""Registering the adapters with ADK's own service registry (``adk web``/``api_server``).

ADK's registry is keyed by URL scheme and already owns ``sqlite``,
``postgresql``, ``memory`` and others, so ours are ``runners+<scheme>``: every
scheme an installed runners-core plugin serves, never replacing ADK's built-ins.
"""

from __future__ import annotations

from typing import Any

from runners_adk.artifacts import RunnersArtifactService
from runners_adk.memory import RunnersMemoryService
from runners_adk.sessions import RunnersSessionService
from runners_adk.urls import PREFIX


def register_adk_services(registry: Any = None) -> list[str]:
    """Register ``runners+<scheme>`` session, memory and artifact factories with ADK.

    *registry* defaults to ADK's global one (``get_service_registry()``). Returns
    the registered schemes. Call it from the ``services.py`` next to your agents::

        import runners_adk
        runners_adk.register_adk_services()

    then ``adk web --session_service_uri runners+sqlite:///sessions.db agents/``.
    """
    if registry is None:
        from google.adk.cli.service_registry import get_service_registry

        registry = get_service_registry()
    from runners_core.plugins.manager import load_plugins

    ours = load_plugins().registry
    registered: list[str] = []
    for scheme in ours.schemes("session"):
        registry.register_session_service(PREFIX + scheme, _factory(RunnersSessionService))
        registered.append(PREFIX + scheme)
    for scheme in ours.schemes("memory"):
        registry.register_memory_service(PREFIX + scheme, _factory(RunnersMemoryService))
    for scheme in ours.schemes("artifact"):
        registry.register_artifact_service(PREFIX + scheme, _factory(RunnersArtifactService))
    return sorted(set(registered))


def _factory(cls: type) -> Any:
    def build(uri: str, **kwargs: Any) -> Any:
        # ADK passes its own keyword arguments (e.g. agents_dir); ours take none.
        return cls(uri)

    return build
