"""Small factories the suites use to build ids, events and parts."""

from __future__ import annotations

import secrets
from typing import Any

from runners_core.content import Content, Part
from runners_core.events import Event, EventActions

NON_ASCII = "Grüße, ¿qué tal? Ωμέγα 日本語 🚀 \u200d"
"""Text with accents, Greek, CJK, an emoji (outside the BMP) and a zero-width joiner."""


def unique(prefix: str) -> str:
    """A fresh identifier, so tests sharing one store never see each other's data."""
    return f"{prefix}-{secrets.token_hex(6)}"


def user_event(text: str = "hello", **fields: Any) -> Event:
    """A user message event."""
    return Event(author="user", content=Content.from_text(text), **fields)


def agent_event(
    text: str = "ok", *, state_delta: dict[str, Any] | None = None, **fields: Any
) -> Event:
    """An agent event with an invocation id and an optional state delta."""
    fields.setdefault("invocation_id", "inv-" + secrets.token_hex(4))
    return Event(
        author="agent",
        content=Content(role="model", parts=[Part(text=text)]),
        actions=EventActions(state_delta=dict(state_delta or {})),
        **fields,
    )


def state_event(state_delta: dict[str, Any], **fields: Any) -> Event:
    """An agent event that only carries a state delta."""
    fields.setdefault("invocation_id", "inv-" + secrets.token_hex(4))
    return Event(author="agent", actions=EventActions(state_delta=dict(state_delta)), **fields)


def every_part_kind() -> list[Part]:
    """One part of each kind a session must round-trip."""
    return [
        Part(text=NON_ASCII),
        Part.from_bytes(bytes(range(256)) * 4, "application/octet-stream"),
        Part.from_uri("gs://bucket/reports/q3.pdf", "application/pdf"),
        Part.from_function_call("lookup", {"city": "Zürich", "days": 3, "tags": ["a", "b"]}, "c1"),
        Part.from_function_response("lookup", {"result": {"temp": 21.5, "ok": True}}, "c1"),
        Part(text="thinking...", thought=True),
    ]


BAD_IDS: tuple[object, ...] = (
    "",
    "../escape",
    "a/../b",
    "/absolute",
    "a//b",
    " leading-space",
    "nul\x00byte",
    "new\nline",
    "trailing-newline\n",
    "x" * 257,
    42,
)
"""Values no backend may accept as ``app_name``/``user_id``/``session_id``."""


def bad_ids(field: str) -> tuple[object, ...]:
    """BAD_IDS for *field*; only ``app_name`` may contain ``/`` (Vertex-style resource names)."""
    return BAD_IDS if field == "app_name" else (*BAD_IDS, "a/b")


BAD_ARTIFACT_NAMES: tuple[str, ...] = (
    "..",
    "../secret.txt",
    "reports/../../etc/passwd",
    "/etc/passwd",
    "user:/etc/passwd",
    "C:/windows/win.ini",
    "nul\x00.txt",
    "back\\slash.txt",
    "",
    "reports//double.txt",
    "lone-\ud800-surrogate.txt",
)
"""Artifact names that would escape their scope or are otherwise unusable."""
