"""Building services from URLs through the installed plugins."""

from __future__ import annotations

from typing import Any

from runners_core.artifacts.base import BaseArtifactService
from runners_core.errors import PluginError, RunnersError, UnknownSchemeError
from runners_core.memory.base import BaseMemoryService
from runners_core.plugins.manager import LoadedPlugins, PluginRecord, load_plugins
from runners_core.plugins.registry import ServiceKind
from runners_core.plugins.urls import KNOWN_PROVIDERS, redact_url, url_scheme
from runners_core.redaction import redact, url_secrets
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
    try:
        registration = plugins.registry.lookup(kind, url)
    except UnknownSchemeError as exc:
        inactive = inactive_provider(plugins, url_scheme(url, kind))
        if inactive is None:
            raise
        raise UnknownSchemeError(
            f"{kind} services for '{url_scheme(url, kind)}://' (URL {redact_url(url)}) come "
            f"from {inactive_provider_hint(inactive)}"
        ) from exc
    try:
        service = registration.factory(url, **options)
    except RunnersError as exc:
        # Whatever piece of the URL a plugin's message echoes, no secret of it may show.
        found = url_secrets(url)
        if found and exc.args and isinstance(exc.args[0], str):
            exc.args = (redact(exc.args[0], found), *exc.args[1:])
        raise
    if not isinstance(service, _BASES[kind]):
        raise PluginError(
            f"plugin {registration.plugin!r} returned {type(service).__name__} for "
            f"{redact_url(url)}, which is not a {_BASES[kind].__name__}; fix the plugin's "
            "register_services factory"
        )
    return service


def inactive_provider(plugins: LoadedPlugins, scheme: str) -> PluginRecord | None:
    """The installed but disabled (or failed) plugin known to provide *scheme*, if any."""
    provider = KNOWN_PROVIDERS.get(scheme)
    if provider is None:
        return None
    wanted = _normalized(provider)
    return next(
        (
            record
            for record in plugins.records
            if record.state != "enabled" and _normalized(record.distribution) == wanted
        ),
        None,
    )


def inactive_provider_hint(record: PluginRecord) -> str:
    """Why *record*'s plugin is not active and how to make it so (for messages)."""
    where = f"plugin {record.name!r} ({record.distribution}), which is installed but"
    if record.state == "failed":
        return (
            f"{where} failed to load: {record.reason}. Fix it; 'runners plugins --debug' "
            "shows the traceback"
        )
    if record.reason.startswith("not in the plugins allow-list"):
        fix = f"add {record.name!r} to that list (enable = [...] or RUNNERS_CORE_PLUGINS)"
    else:
        fix = (
            f"remove {record.name!r} from that list "
            "(disable = [...] or RUNNERS_CORE_DISABLE_PLUGINS)"
        )
    return f"{where} disabled: {record.reason}; to enable it, {fix}"


def _normalized(distribution: str) -> str:
    return distribution.lower().replace("_", "-")


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
