"""Token usage from an event's usage metadata, when the model reported it."""

from __future__ import annotations

from typing import Any

# ADK/Gemini spell them prompt/candidates; others input/output.
_INPUT = ("prompt_token_count", "promptTokenCount", "input_tokens")
_OUTPUT = ("candidates_token_count", "candidatesTokenCount", "output_tokens")


def token_usage(event: Any) -> tuple[int, int] | None:
    """(input tokens, output tokens) of *event*, or None when it carries no usage."""
    # Field values of a pydantic model live in its __dict__; asking getattr for a
    # field the model does not have costs an exception per event.
    fields = getattr(event, "__dict__", None)
    usage = fields.get("usage_metadata") if fields is not None else None
    if usage is None:
        return None
    found_in = _first(usage, _INPUT)
    found_out = _first(usage, _OUTPUT)
    if found_in is None and found_out is None:
        return None
    return found_in or 0, found_out or 0


def _first(usage: Any, names: tuple[str, ...]) -> int | None:
    for name in names:
        value = usage.get(name) if isinstance(usage, dict) else getattr(usage, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None
