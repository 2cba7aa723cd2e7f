"""The optional capabilities a service can claim in its ``capabilities`` class variable.

A ``StrEnum``: members equal their names as strings, so a backend may list either
(``frozenset({Capability.RETENTION})`` or ``frozenset({"retention"})``); the
conformance kit fails a suite whose service claims a name that is not here, rather
than reporting a misspelt capability as unsupported.
"""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    CROSS_PROCESS_LOCK = "cross_process_lock"
    """Sessions: ``lock_session`` serialises runs across processes (``_process_lock``)."""
    TTL = "ttl"
    """Sessions: idle sessions expire."""
    RETENTION = "retention"
    """Sessions, memory, artifacts: single events, memories or versions can be deleted and
    listed for ``runners prune`` and export."""
    DELETE = "delete"
    """Memory: ``delete_memory`` works."""


def unknown_capabilities(claimed: object) -> list[str]:
    """The names in *claimed* (a service's ``capabilities``) that are not capabilities."""
    known = {c.value for c in Capability}
    return sorted(repr(name) for name in claimed if name not in known)  # type: ignore[attr-defined]
