"""What every artifact area module shares: the service kind and a scope builder."""

from __future__ import annotations

from typing import Any

from runners_core.testing.builders import unique
from runners_core.testing.contract import ServiceContract


class ArtifactSuite(ServiceContract):
    """Base of the artifact area classes; not collected (its name does not start with Test)."""

    kind = "artifact"

    @staticmethod
    def scope(session_id: str | None = "s1") -> dict[str, Any]:
        """Keyword arguments naming a fresh app and user (and a session, unless None)."""
        return {"app_name": unique("app"), "user_id": unique("user"), "session_id": session_id}
