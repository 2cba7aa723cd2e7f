"""The two ways to write a service, and the check that a class took one of them.

A session, memory or artifact service may override ADK's public async methods
(``create_session``, ``search_memory``, ``save_artifact``, ...) as an ADK user's
existing service does, or implement our ``_``-prefixed storage primitives and
inherit validation, scopes, paging and limits from the base class. Neither set
is abstract, so both routes instantiate; a class that completes neither is
refused when it is instantiated, naming what each route still lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from runners_core.errors import ServiceDefinitionError

Route = Literal["public", "primitives"]


def service_route(
    cls: type,
    base: type,
    *,
    kind: str,
    public: Sequence[str],
    primitives: Sequence[str],
) -> Route:
    """Which route *cls* implements (primitives win when both are complete), or raise."""
    cached = cls.__dict__.get("_service_route")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    lacking_primitives = _not_overridden(cls, base, primitives)
    lacking_public = _not_overridden(cls, base, public)
    route: Route
    if not lacking_primitives:
        route = "primitives"
    elif not lacking_public:
        route = "public"
    else:
        raise ServiceDefinitionError(
            f"{cls.__name__} cannot be instantiated: a {kind} service overrides either "
            f"ADK's public methods (missing: {', '.join(lacking_public)}) or the storage "
            f"primitives (missing: {', '.join(lacking_primitives)}). Implement one of the "
            "two sets; docs/plugins.md shows both"
        )
    # Cached per class (not inherited: a subclass may change the picture).
    type.__setattr__(cls, "_service_route", route)
    return route


def _not_overridden(cls: type, base: type, names: Sequence[str]) -> list[str]:
    return [name for name in names if getattr(cls, name, None) is getattr(base, name)]
