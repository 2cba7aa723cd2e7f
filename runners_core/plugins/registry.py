"""The registry plugins fill through ``register_services``: URL scheme -> service factory.

Each plugin's ``register_services`` gets a registry of its own; only when the
hook returns without raising are its registrations committed into the shared
one, stamped with the plugin's name (:meth:`ServiceRegistry.commit`). A plugin
that fails half-way therefore leaves nothing behind, and nothing has to track
which plugin is "current". Two plugins claiming one scheme make only that
scheme unusable, with an error naming both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from runners_core.errors import ConfigError, UnknownSchemeError
from runners_core.plugins.urls import KNOWN_PROVIDERS, redact_url, url_scheme

ServiceKind = Literal["session", "memory", "artifact"]
KINDS: tuple[ServiceKind, ...] = ("session", "memory", "artifact")
ServiceFactory = Callable[..., Any]
Key = tuple[ServiceKind, str]


@dataclass(frozen=True)
class Registration:
    scheme: str
    kind: ServiceKind
    factory: ServiceFactory
    plugin: str = "<unattributed>"
    distribution: str = "<unattributed>"

    def owner(self) -> str:
        return f"{self.plugin!r} (distribution {self.distribution})"


class ServiceRegistry:
    """Maps ``(kind, scheme)`` to the factory a plugin registered for it.

    A factory is called as ``factory(url, **options)`` and returns the service.
    """

    def __init__(self) -> None:
        self._entries: dict[Key, Registration] = {}
        # Schemes claimed by more than one plugin: every claimant, in commit order.
        self._conflicts: dict[Key, list[Registration]] = {}

    # ------------------------------------------------------------------ what plugins call

    def _add(self, kind: ServiceKind, scheme: str, factory: ServiceFactory) -> None:
        if not callable(factory):
            raise TypeError(f"the {kind} service factory for {scheme!r} must be callable")
        if not isinstance(scheme, str) or not scheme.strip(":/"):
            raise TypeError(f"a {kind} service scheme must be a non-empty string, not {scheme!r}")
        scheme = scheme.lower().removesuffix("://")
        if (kind, scheme) in self._entries:
            raise ConfigError(f"{kind} services for '{scheme}://' are registered twice")
        self._entries[(kind, scheme)] = Registration(scheme, kind, factory)

    def add_session_service(self, scheme: str, factory: ServiceFactory) -> None:
        self._add("session", scheme, factory)

    def add_memory_service(self, scheme: str, factory: ServiceFactory) -> None:
        self._add("memory", scheme, factory)

    def add_artifact_service(self, scheme: str, factory: ServiceFactory) -> None:
        self._add("artifact", scheme, factory)

    # ------------------------------------------------------------------ committing

    def commit(self, staged: ServiceRegistry, plugin: str, distribution: str) -> list[Key]:
        """Take every registration of *staged* as made by *plugin*; returns new conflicts."""
        conflicts = []
        for key, registration in staged._entries.items():
            stamped = replace(registration, plugin=plugin, distribution=distribution)
            claimants = self._conflicts.get(key)
            if claimants is not None:
                claimants.append(stamped)
            elif key in self._entries:
                self._conflicts[key] = [self._entries.pop(key), stamped]
                conflicts.append(key)
            else:
                self._entries[key] = stamped
        return conflicts

    # ------------------------------------------------------------------ reading

    def registrations(self, kind: ServiceKind | None = None) -> list[Registration]:
        """Usable registrations (conflicting schemes excluded), sorted by kind and scheme."""
        return [r for (k, _), r in sorted(self._entries.items()) if kind in (None, k)]

    def claims(self) -> list[Registration]:
        """Every committed registration, conflicting ones included (for reports)."""
        claimed = [*self._entries.values()]
        for claimants in self._conflicts.values():
            claimed.extend(claimants)
        return sorted(claimed, key=lambda r: (r.kind, r.scheme, r.plugin))

    def conflicts(self) -> dict[Key, list[Registration]]:
        return {key: list(claimants) for key, claimants in self._conflicts.items()}

    def schemes(self, kind: ServiceKind) -> list[str]:
        return [r.scheme for r in self.registrations(kind)]

    def lookup(self, kind: ServiceKind, url: str) -> Registration:
        scheme = url_scheme(url, kind)
        registration = self._entries.get((kind, scheme))
        if registration is not None:
            return registration
        claimants = self._conflicts.get((kind, scheme))
        if claimants:
            raise ConfigError(conflict_message(kind, scheme, claimants))
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


def conflict_message(kind: str, scheme: str, claimants: list[Registration]) -> str:
    owners = " and ".join(r.owner() for r in claimants)
    names = ",".join(r.plugin for r in claimants[1:])
    return (
        f"{kind} services for '{scheme}://' are registered by more than one plugin: {owners}; "
        f"uninstall or disable all but one of them (e.g. RUNNERS_CORE_DISABLE_PLUGINS={names})"
    )
