"""The memory service contract, one module per area (see each module's docstring)."""

from __future__ import annotations

from runners_core.testing.memory.deletion import Deletion
from runners_core.testing.memory.ingestion import Ingestion
from runners_core.testing.memory.multilingual import Multilingual
from runners_core.testing.memory.retention import Retention
from runners_core.testing.memory.scoping import Scoping
from runners_core.testing.memory.search import Search
from runners_core.testing.memory.validation import Validation


class MemoryServiceContract(
    Ingestion, Search, Multilingual, Scoping, Validation, Deletion, Retention
):
    """Every memory-service rule. Subclass it as ``Test...`` and define a ``service`` fixture."""


__all__ = ["MemoryServiceContract"]
