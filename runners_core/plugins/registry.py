"""The registry plugins fill through ``register_services``: URL scheme -> service factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from runners_core.errors import ConfigError, UnknownSchemeError
from runners_core.plugins.urls import KNOWN_PROVIDERS, redact_url, url_scheme

ServiceKind = Literal["session", "memory", "artifact"]
KINDS: tuple[ServiceKind, ...] = ("session", "memory", "artifact")
ServiceFactory = Callable[..., Any]


@dataclass(frozen=True)
class Registration:
    scheme: str
    kind: ServiceKind
    factory: ServiceFactory
    plugin: str
    distribution: str


class ServiceRegistry:
    """Maps ``(kind, scheme)`` to the factory a plugin registered for it.

    A factory is called as ``factory(url, **options)`` and returns the service.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[ServiceKind, str], Registration] = {}
        self._current: tuple[str, str] = ("<unknown>", "<unknown>")

    # Called by the hook facade so registrations know which plugin made them.
    def _attribute_to(self, plugin: str, distribution: str) -> None:
        self._current = (plugin, distribution)

    def _add(self, kind: ServiceKind, scheme: str, factory: ServiceFactory) -> None:
        if not callable(factory):
            raise TypeError(f"the {kind} service factory for {scheme!r} must be callable")
        scheme = scheme.lower().removesuffix("://")
        plugin, distribution = self._current
        existing = self._entries.get((kind, scheme))
        if existing is not None:
            raise ConfigError(
                f"{kind} services for '{scheme}://' are registered by two plugins: "
                f"{existing.plugin!r} (distribution {existing.distribution}) and {plugin!r} "
                f"(distribution {distribution}); uninstall or disable one of them"
            )
        self._entries[(kind, scheme)] = Registration(scheme, kind, factory, plugin, distribution)

    def add_session_service(self, scheme: str, factory: ServiceFactory) -> None:
        self._add("session", scheme, factory)

    def add_memory_service(self, scheme: str, factory: ServiceFactory) -> None:
        self._add("memory", scheme, factory)

    def add_artifact_service(self, scheme: str, factory: ServiceFactory) -> None:
        self._add("artifact", scheme, factory)

    def registrations(self, kind: ServiceKind | None = None) -> list[Registration]:
        return [r for (k, _), r in sorted(self._entries.items()) if kind in (None, k)]

    def schemes(self, kind: ServiceKind) -> list[str]:
        return [r.scheme for r in self.registrations(kind)]

    def lookup(self, kind: ServiceKind, url: str) -> Registration:
        scheme = url_scheme(url, kind)
        registration = self._entries.get((kind, scheme))
        if registration is None:
            known = ", ".join(f"{s}://" for s in self.schemes(kind)) or "none"
            provider = KNOWN_PROVIDERS.get(scheme)
            fix = (
                f"install it with 'pip install {provider}'"
                if provider
                else "install a plugin that registers it"
            )
            raise UnknownSchemeError(
                f"no installed plugin provides {kind} services for '{scheme}://' "
                f"(URL {redact_url(url)}); {fix}, or use one of: {known}"
            )
        return registration

    def create(self, kind: ServiceKind, url: str, **options: Any) -> Any:
        """Build the service for *url*; factory errors are re-raised with the URL redacted."""
        registration = self.lookup(kind, url)
        return registration.factory(url, **options)
