"""Finding and replacing sensitive text: card numbers by default, or configured patterns."""

from __future__ import annotations

import re
from collections.abc import Sequence

# 13 to 19 digits, optionally grouped by single spaces or dashes (4111 1111 1111 1111).
CARD_CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


class Redactor:
    """Replaces card numbers (Luhn-checked) and every match of the extra *patterns*."""

    def __init__(
        self, patterns: Sequence[str] = (), replacement: str = "[REDACTED]", cards: bool = True
    ) -> None:
        self.replacement = replacement
        self.cards = cards
        self.patterns: list[re.Pattern[str]] = []
        for pattern in patterns:
            try:
                self.patterns.append(re.compile(pattern))
            except re.error as exc:
                raise ValueError(
                    f"redact pattern {pattern!r} is not a valid regular expression ({exc}); "
                    "fix patterns in [tool.runners_core.plugins.redact]"
                ) from None

    def _card(self, match: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", match.group())
        return self.replacement if luhn_valid(digits) else match.group()

    def redact(self, text: str) -> str:
        if self.cards:
            text = CARD_CANDIDATE.sub(self._card, text)
        for pattern in self.patterns:
            text = pattern.sub(self.replacement, text)
        return text
