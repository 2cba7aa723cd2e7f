"""Per-run settings a caller passes to ``Runner.run_async`` and friends."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from runners_core.sessions.session import GetSessionConfig


class StreamingMode(StrEnum):
    """How an agent streams: not at all, server-sent chunks, or bidirectionally (live)."""

    NONE = "none"
    SSE = "sse"
    BIDI = "bidi"


class RunConfig(BaseModel):
    """Settings for one invocation."""

    model_config = ConfigDict(extra="forbid")

    streaming_mode: StreamingMode = StreamingMode.NONE
    max_llm_calls: int = Field(default=500, description="<= 0 means no limit")
    custom_metadata: dict[str, Any] | None = None
    get_session_config: GetSessionConfig | None = None
