"""Events: the unit a runner yields and a session stores."""

from __future__ import annotations

import secrets
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from runners_core.content import Content, FunctionCall, FunctionResponse


def new_event_id() -> str:
    """A random, URL-safe event id (16 hex characters)."""
    return secrets.token_hex(8)


class EventActions(BaseModel):
    """Side effects an event carries: state changes, artifacts saved, control flow."""

    model_config = ConfigDict(extra="forbid")

    state_delta: dict[str, Any] = Field(default_factory=dict)
    artifact_delta: dict[str, int] = Field(default_factory=dict)
    transfer_to_agent: str | None = None
    escalate: bool | None = None
    skip_summarization: bool | None = None
    end_invocation: bool | None = None

    def is_empty(self) -> bool:
        return not (
            self.state_delta
            or self.artifact_delta
            or self.transfer_to_agent
            or self.escalate
            or self.skip_summarization
            or self.end_invocation
        )


class Event(BaseModel):
    """Something that happened in a session: a message, a tool call, a state change.

    ``author`` is ``"user"`` for the user's messages and the agent's name otherwise.
    Partial events (streaming chunks) are yielded to callers but never stored.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_event_id)
    invocation_id: str = ""
    author: str
    content: Content | None = None
    actions: EventActions = Field(default_factory=EventActions)
    partial: bool | None = None
    turn_complete: bool | None = None
    interrupted: bool | None = None
    branch: str | None = None
    timestamp: float = Field(default_factory=time.time)
    error_code: str | None = None
    error_message: str | None = None
    custom_metadata: dict[str, Any] | None = None
    long_running_tool_ids: list[str] | None = None

    def get_function_calls(self) -> list[FunctionCall]:
        if not self.content:
            return []
        return [p.function_call for p in self.content.parts if p.function_call]

    def get_function_responses(self) -> list[FunctionResponse]:
        if not self.content:
            return []
        return [p.function_response for p in self.content.parts if p.function_response]

    def is_final_response(self) -> bool:
        """True when this event is the agent's answer for the turn (what a UI shows last).

        As in ADK: an event that skips summarisation or waits on long-running tools
        is final; otherwise it is final unless it is partial or carries tool calls
        or tool results.
        """
        if self.actions.skip_summarization or self.long_running_tool_ids:
            return True
        return (
            not self.get_function_calls() and not self.get_function_responses() and not self.partial
        )
