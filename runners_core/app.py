"""ADK 2.x's ``App``: an application's name, root agent, plugins and app-wide settings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from runners_core.agents.base_agent import BaseAgent
from runners_core.identifiers import validate_id


class App(BaseModel):
    """What ``Runner(app=...)`` runs, as ADK 2.x's ``App``.

    ``plugins`` may hold pluggy-style plugin objects and ADK-style ``BasePlugin``
    objects alike. ``resumability_config``, ``events_compaction_config`` and
    ``context_cache_config`` are accepted so that an ADK application definition
    carries over; the kernel does not act on them (docs/migrating-from-adk.md).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid", defer_build=True)

    name: str
    root_agent: BaseAgent
    plugins: list[Any] = Field(default_factory=list)
    resumability_config: Any = None
    events_compaction_config: Any = None
    context_cache_config: Any = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        return validate_id("app_name", name)
