"""Attribute names: OpenTelemetry's generative-AI conventions where they exist, ours otherwise.

The ``gen_ai.*`` names follow the OpenTelemetry GenAI semantic conventions (agent
spans); they are spelled out here because the conventions package marks its
incubating constants as moved to a separate repository.
"""

from __future__ import annotations

GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_AGENT_DESCRIPTION = "gen_ai.agent.description"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
INVOKE_AGENT = "invoke_agent"

APP_NAME = "runners.app_name"
USER_ID = "runners.user_id"
SESSION_ID = "runners.session_id"
INVOCATION_ID = "runners.invocation_id"
OUTCOME = "runners.outcome"
EVENTS = "runners.events"
EVENT_AUTHOR = "runners.event.author"
EVENT_PARTIAL = "runners.event.partial"
EVENT_SIZE = "runners.event.size"
TRANSFER_FROM = "runners.transfer.from"
TRANSFER_TO = "runners.transfer.to"
LOCK_WAITED = "runners.session_lock.waited_s"
LOCK_ACQUIRED = "runners.session_lock.acquired"
ERROR_TYPE = "error.type"

# Outcomes of an invocation, as span attribute and metric dimension.
OK = "ok"
ERROR = "error"
CANCELLED = "cancelled"
STOPPED = "stopped"
BUSY = "busy"
