"""Per-run settings a caller passes to ``Runner.run_async`` and friends."""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from runners_core.sessions.session import GetSessionConfig

log = logging.getLogger("runners_core.run_config")


class StreamingMode(StrEnum):
    """How an agent streams: not at all, server-sent chunks, or bidirectionally (live)."""

    NONE = "none"
    SSE = "sse"
    BIDI = "bidi"


class RunConfig(BaseModel):
    """Settings for one invocation.

    ``custom_metadata`` is merged into every event of the invocation (the
    event's own keys win). The model-facing fields after it are accepted as
    ADK's ``RunConfig`` accepts them, so an ADK user's run configuration carries
    over; the kernel does not read them, model bridges (``runners_adk``) do.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    streaming_mode: StreamingMode = StreamingMode.NONE
    max_llm_calls: int = Field(default=500, description="<= 0 means no limit")
    custom_metadata: dict[str, Any] | None = None
    get_session_config: GetSessionConfig | None = None

    speech_config: Any = None
    http_options: Any = None
    labels: dict[str, str] | None = None
    response_modalities: list[Any] | None = None
    output_audio_transcription: Any = None
    input_audio_transcription: Any = None
    realtime_input_config: Any = None
    session_resumption: Any = None
    context_window_compression: Any = None
    save_input_blobs_as_artifacts: bool = False
    save_live_blob: bool = False
    support_cfc: bool = False

    @field_validator("max_llm_calls")
    @classmethod
    def _check_max_llm_calls(cls, value: int) -> int:
        if value >= sys.maxsize:
            raise ValueError(f"max_llm_calls should be less than {sys.maxsize}.")
        if value <= 0:
            log.warning(
                "max_llm_calls is %s (<= 0): the number of model calls in a run is not "
                "limited, so an agent stuck in a loop never stops",
                value,
            )
        return value
