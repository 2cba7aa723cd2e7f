"""Request bodies, as ADK's api_server takes them (camelCase, snake_case also accepted).

Unknown fields are ignored, as ADK does, so its clients' newer fields do no harm.
The fields marked *runners* are this server's additions (see docs/serve.md).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from runners_core.content import Content, Part
from runners_core.events import Event

BusyPolicy = Literal["wait", "reject"]


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class RunAgentRequest(ApiModel):
    """Body of ``POST /run`` and ``POST /run_sse``."""

    app_name: str | None = None
    user_id: str
    session_id: str
    new_message: Content | None = None
    streaming: bool = Field(default=False, description="stream partial events (/run_sse)")
    state_delta: dict[str, Any] | None = Field(
        default=None, description="stored on the user's event before the agent runs"
    )
    function_call_event_id: str | None = None
    invocation_id: str | None = Field(
        default=None,
        description="runners: makes the request idempotent; a repeated id replays the "
        "stored events of that invocation instead of running the agent again",
    )
    custom_metadata: dict[str, Any] | None = None
    session_busy: BusyPolicy | None = Field(
        default=None,
        description="runners: when the session is running another invocation, 'wait' for "
        "it or 'reject' with 409 and Retry-After (default: the server's policy)",
    )
    busy_timeout: float | None = Field(
        default=None, ge=0, description="runners: seconds to wait under 'wait'"
    )


class CreateSessionRequest(ApiModel):
    """Body of ``POST /apps/{app}/users/{user}/sessions`` (optional)."""

    session_id: str | None = None
    state: dict[str, Any] | None = None
    events: list[Event] | None = None


class UpdateSessionRequest(ApiModel):
    """Body of ``PATCH .../sessions/{session}``."""

    state_delta: dict[str, Any]


class SaveArtifactRequest(ApiModel):
    """Body of ``POST .../sessions/{session}/artifacts``."""

    filename: str
    artifact: Part
    custom_metadata: dict[str, Any] | None = None


class UpdateMemoryRequest(ApiModel):
    """Body of ``PATCH /apps/{app}/users/{user}/memory``."""

    session_id: str
