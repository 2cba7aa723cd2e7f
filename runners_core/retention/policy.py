"""The retention policy of ``[tool.runners_core.retention]``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from runners_core.errors import ConfigError

TABLE = "[tool.runners_core.retention]"
DAY = 86_400.0


class RetentionPolicy(BaseModel):
    """What ``runners prune`` deletes; every rule is off unless set."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    session_idle_days: float | None = Field(
        default=None, gt=0, description="delete sessions not updated for this many days"
    )
    max_events_per_session: int | None = Field(
        default=None, ge=1, description="keep at most this many of a session's newest events"
    )
    trimmed_events: Literal["drop", "memory"] = Field(
        default="drop",
        description="what happens to events over the limit: dropped, or "
        "added to the memory service first",
    )
    artifact_versions: int | None = Field(
        default=None, ge=1, description="keep only the newest N versions of each artifact"
    )
    memory_days: float | None = Field(
        default=None, gt=0, description="forget memories stored more than this many days ago"
    )
    batch_size: int = Field(
        default=200, ge=1, le=10_000, description="deletions per batch (and per lock hold)"
    )

    @property
    def empty(self) -> bool:
        return (
            self.session_idle_days is None
            and self.max_events_per_session is None
            and self.artifact_versions is None
            and self.memory_days is None
        )

    @classmethod
    def parse(cls, values: dict[str, Any], where: str = TABLE) -> RetentionPolicy:
        """Validate *values*, or raise ConfigError naming each bad setting and *where*."""
        try:
            return cls(**values)
        except PydanticValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
                for err in exc.errors()
            )
            raise ConfigError(
                f"{where} is invalid: {problems}. Settings: session_idle_days, "
                "max_events_per_session, trimmed_events (drop or memory), artifact_versions, "
                "memory_days, batch_size"
            ) from None
