"""The artifact service contract, one module per area (see each module's docstring)."""

from __future__ import annotations

from runners_core.testing.artifacts.concurrency import Concurrency
from runners_core.testing.artifacts.payloads import Payloads
from runners_core.testing.artifacts.retention import Retention
from runners_core.testing.artifacts.scopes import Scopes
from runners_core.testing.artifacts.validation import Validation
from runners_core.testing.artifacts.versions import Versions


class ArtifactServiceContract(Versions, Scopes, Validation, Payloads, Concurrency, Retention):
    """Every artifact-service rule. Subclass it as ``Test...`` and define a ``service`` fixture."""


__all__ = ["ArtifactServiceContract"]
