"""The hook implementations: redact the user's message and every event before it is stored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runners_core import Content, Event, hookimpl
from runners_core.sessions.session import Session
from runners_redact.redactor import Redactor

DEFAULT_REPLACEMENT = "[REDACTED]"


class RedactPlugin:
    """Configured from ``[tool.runners_core.plugins.redact]``::

    [tool.runners_core.plugins.redact]
    patterns = ["\\\\bACCT-\\\\d{8}\\\\b"]   # extra regular expressions to redact
    replacement = "[card]"                  # default "[REDACTED]"
    cards = true                            # Luhn-checked card numbers (default true)
    """

    def __init__(
        self,
        patterns: Sequence[str] = (),
        replacement: str = DEFAULT_REPLACEMENT,
        cards: bool = True,
    ) -> None:
        if isinstance(patterns, str):
            raise TypeError(
                "patterns must be a list of regular expressions, e.g. patterns = ['\\\\d{9}']"
            )
        self.redactor = Redactor(patterns, replacement, cards)

    def redact_content(self, content: Content | None) -> Content | None:
        """A copy of *content* with every text part redacted (None if nothing changed)."""
        if content is None:
            return None
        parts = []
        changed = False
        for part in content.parts:
            if part.text:
                text = self.redactor.redact(part.text)
                if text != part.text:
                    part = part.model_copy(update={"text": text})
                    changed = True
            parts.append(part)
        return content.model_copy(update={"parts": parts}) if changed else None

    def redact_values(self, values: dict[str, Any]) -> dict[str, Any] | None:
        """A copy of a state delta with string values redacted (None if nothing changed)."""
        changed = False
        result = {}
        for key, value in values.items():
            if isinstance(value, str):
                redacted = self.redactor.redact(value)
                changed = changed or redacted != value
                value = redacted
            result[key] = value
        return result if changed else None

    @hookimpl
    def on_user_message(self, message: Content) -> Content | None:
        """Redact before the agent sees the message (and before it is stored)."""
        return self.redact_content(message)

    @hookimpl
    def before_append_event(self, session: Session, event: Event) -> Event | None:
        """Redact the text and string state values of every event before it is stored."""
        update: dict[str, Any] = {}
        content = self.redact_content(event.content)
        if content is not None:
            update["content"] = content
        delta = self.redact_values(event.actions.state_delta)
        if delta is not None:
            update["actions"] = event.actions.model_copy(update={"state_delta": delta})
        return event.model_copy(update=update) if update else None
