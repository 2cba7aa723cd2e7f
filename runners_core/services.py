"""Building services from URLs through the installed plugins."""

from __future__ import annotations

from typing import Any

from runners_core.artifacts.base import BaseArtifactService
from runners_core.errors import PluginError
from runners_core.memory.base import BaseMemoryService
from runners_core.plugins.manager import LoadedPlugins, load_plugins
from runners_core.plugins.registry import ServiceKind
from runners_core.plugins.urls import redact_url
from runners_core.sessions.base import BaseSessionService

_BASES: dict[ServiceKind, type] = {
    "session": BaseSessionService,
    "memory": BaseMemoryService,
    "artifact": BaseArtifactService,
}


def service_from_url(
    kind: ServiceKind, url: str, *, plugins: LoadedPlugins | None = None, **options: Any
) -> Any:
    """Build a *kind* service for *url* with the factory a plugin registered for its scheme."""
    plugins = plugins if plugins is not None else load_plugins()
    registration = plugins.registry.lookup(kind, url)
    service = registration.factory(url, **options)
    if not isinstance(service, _BASES[kind]):
        raise PluginError(
            f"plugin {registration.plugin!r} returned {type(service).__name__} for "
            f"{redact_url(url)}, which is not a {_BASES[kind].__name__}; fix the plugin's "
            "register_services factory"
        )
    return service


def session_service_from_url(
    url: str, *, plugins: LoadedPlugins | None = None, **options: Any
) -> BaseSessionService:
    return service_from_url("session", url, plugins=plugins, **options)


def memory_service_from_url(
    url: str, *, plugins: LoadedPlugins | None = None, **options: Any
) -> BaseMemoryService:
    return service_from_url("memory", url, plugins=plugins, **options)


def artifact_service_from_url(
    url: str, *, plugins: LoadedPlugins | None = None, **options: Any
) -> BaseArtifactService:
    return service_from_url("artifact", url, plugins=plugins, **options)
