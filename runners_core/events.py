"""Events: the unit a runner yields and a session stores.

An :class:`Event` carries every field an ADK 2.x event carries (the model's
response fields, workflow node info, tool confirmations, ...), typed as ADK
types them, so events from real models round-trip through every backend and
ADK's camelCase JSON reads and writes as ours (see :mod:`runners_core.wire`).
"""

import os
import time
from typing import Annotated, Any

from pydantic import Field, PlainSerializer

from runners_core.content import Content, FunctionCall, FunctionResponse, Transcription
from runners_core.model_response import (
    CacheMetadata,
    CitationMetadata,
    FinishReason,
    GroundingMetadata,
    InteractionStatus,
    LiveServerGoAway,
    LiveServerSessionResumptionUpdate,
    LogprobsResult,
    TurnCompleteReason,
    UsageMetadata,
    VoiceActivity,
)
from runners_core.state_ops import StateOp
from runners_core.wire import WireModel

# A set has no order; written sorted, the stored JSON is deterministic (as ADK's).
SortedIds = Annotated[set[str], PlainSerializer(sorted, return_type=list[str])]


def new_event_id() -> str:
    """A random, URL-safe event id (16 hex characters)."""
    # What secrets.token_hex(8) returns, without importing secrets (hashlib, random).
    return os.urandom(8).hex()


class ToolConfirmation(WireModel):
    """A tool's request for the user to confirm a call (and the user's answer)."""

    hint: str = ""
    confirmed: bool = False
    payload: Any | None = None


class UiWidget(WireModel):
    """A widget a tool asks the UI to render."""

    id: str
    provider: str
    payload: dict[str, Any]


class EventCompaction(WireModel):
    """A summary standing in for the events between two timestamps."""

    start_timestamp: float
    end_timestamp: float
    compacted_content: Content


class NodeInfo(WireModel):
    """Where in a workflow the event was produced (ADK's ``node_info``)."""

    path: str = ""
    output_for: list[str] | None = None
    message_as_output: bool | None = None


class EventActions(WireModel):
    """Side effects an event carries: state changes, artifacts saved, control flow.

    ``requested_auth_configs`` keeps ADK's auth configs as their JSON objects
    (the kernel has no auth model); everything else is typed as in ADK.
    """

    state_delta: dict[str, Any] = Field(default_factory=dict)
    #: Atomic state changes applied after ``state_delta`` (a runners-core extension, so
    #: None rather than empty: ADK's JSON stays unchanged when none is used; docs/guide/state.md).
    state_ops: list[StateOp] | None = None
    artifact_delta: dict[str, int] = Field(default_factory=dict)
    transfer_to_agent: str | None = None
    transfer_reason: str | None = None
    escalate: bool | None = None
    skip_summarization: bool | None = None
    end_invocation: bool | None = None
    requested_auth_configs: dict[str, dict[str, Any]] = Field(default_factory=dict)
    requested_tool_confirmations: dict[str, ToolConfirmation] = Field(default_factory=dict)
    compaction: EventCompaction | None = None
    end_of_agent: bool | None = None
    agent_state: dict[str, Any] | None = None
    rewind_before_invocation_id: str | None = None
    route: bool | int | str | list[bool | int | str] | None = None
    render_ui_widgets: list[UiWidget] | None = None
    set_model_response: Any | None = None

    def is_empty(self) -> bool:
        return not (
            self.state_delta
            or self.state_ops
            or self.artifact_delta
            or self.transfer_to_agent
            or self.escalate
            or self.skip_summarization
            or self.end_invocation
            or self.requested_auth_configs
            or self.requested_tool_confirmations
            or self.compaction
            or self.end_of_agent
            or self.agent_state is not None
            or self.rewind_before_invocation_id
            or self.route is not None
            or self.render_ui_widgets
            or self.set_model_response is not None
        )


class Event(WireModel):
    """Something that happened in a session: a message, a tool call, a state change.

    ``author`` is ``"user"`` for the user's messages and the agent's name otherwise.
    Partial events (streaming chunks) are yielded to callers but never stored.
    The model-response fields (``usage_metadata``, ``finish_reason``,
    ``grounding_metadata``, ...) are those of ADK's ``LlmResponse``.
    """

    id: str = Field(default_factory=new_event_id)
    invocation_id: str = ""
    author: str = ""  # as ADK: may be left empty (ctx.event fills it in)
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
    long_running_tool_ids: SortedIds | None = None
    # The model's response, as ADK's LlmResponse carries it.
    model_version: str | None = None
    finish_reason: FinishReason | None = None
    usage_metadata: UsageMetadata | None = None
    grounding_metadata: GroundingMetadata | None = None
    citation_metadata: CitationMetadata | None = None
    avg_logprobs: float | None = None
    logprobs_result: LogprobsResult | None = None
    cache_metadata: CacheMetadata | None = None
    turn_complete_reason: TurnCompleteReason | None = None
    interaction_status: InteractionStatus | None = None
    input_transcription: Transcription | None = None
    output_transcription: Transcription | None = None
    live_session_id: str | None = None
    live_session_resumption_update: LiveServerSessionResumptionUpdate | None = None
    go_away: LiveServerGoAway | None = None
    voice_activity: VoiceActivity | None = None
    interaction_id: str | None = None
    environment_id: str | None = None
    # Workflow bookkeeping, as ADK's Event carries it.
    output: Any | None = None
    node_info: NodeInfo | None = None
    isolation_scope: str | None = None

    def get_function_calls(self) -> list[FunctionCall]:
        if not self.content:
            return []
        return [p.function_call for p in self.content.parts if p.function_call]

    def get_function_responses(self) -> list[FunctionResponse]:
        if not self.content:
            return []
        return [p.function_response for p in self.content.parts if p.function_response]

    def has_trailing_code_execution_result(self) -> bool:
        """True when the last part is a code execution result (the model must go on)."""
        parts = self.content.parts if self.content else []
        return bool(parts) and parts[-1].code_execution_result is not None

    def is_final_response(self) -> bool:
        """True when this event is the agent's answer for the turn (what a UI shows last).

        As in ADK: an event that skips summarisation or waits on long-running tools
        is final, and so is a complete error event without tool calls; otherwise it
        is final unless it is partial, carries tool calls or tool results, or ends
        with a code execution result.
        """
        if self.actions.skip_summarization or self.long_running_tool_ids:
            return True
        calls = self.get_function_calls()
        if self.error_code and not self.partial and not calls:
            return True
        return (
            not calls
            and not self.get_function_responses()
            and not self.partial
            and not self.has_trailing_code_execution_result()
        )
