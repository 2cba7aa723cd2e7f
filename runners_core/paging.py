"""Page tokens: made and read in this one place, for every listing of every backend.

A token is the cursor of the last item of a page (for sessions ``(user_id, id)``,
for events the backend's position of the event, for memories ``(timestamp,
user_id, id)``), JSON in URL-safe base64. The base classes fetch one item more
than the page holds (so they know whether a next page exists), slice, and build
the token; a token that comes back is checked against the cursor's types before
a backend sees it, so a forged one (wrong shape, wrong types, out-of-range or
non-finite numbers, not base64 at all) is a :class:`ValidationError` naming it,
never a driver error.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from runners_core.errors import ValidationError

T = TypeVar("T")

SESSION_CURSOR: tuple[type, ...] = (str, str)
"""``(user_id, session_id)`` of the last session of a page."""
EVENT_CURSOR: tuple[type, ...] = (int,)
"""The backend's position (a non-negative 64-bit integer) of the last event of a page."""
MEMORY_CURSOR: tuple[type, ...] = (float, str, str)
"""``(timestamp, user_id, memory id)`` of the last memory of a page."""

MAX_TOKEN_CHARS = 4096
_MAX_INT = 2**63 - 1  # what a 64-bit database column holds


def encode_page_token(*parts: str | int | float) -> str:
    """An opaque page token carrying a cursor's values."""
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def decode_page_token(token: object, kinds: tuple[type, ...] | int) -> list[Any]:
    """The cursor values of *token*, of the types in *kinds*; ValidationError otherwise.

    *kinds* is a cursor's types (:data:`SESSION_CURSOR`, ...): ``str``; ``int`` (0 to
    2**63-1, not a bool); ``float`` (a finite int or float, returned as float). An int
    *kinds* (how many values, of any JSON scalar type) is accepted for backends
    written before the typed cursors.
    """
    if not isinstance(token, str):
        raise ValidationError(
            f"page_token must be a string (a next_page_token of a previous response), "
            f"got {type(token).__name__}"
        )
    arity = kinds if isinstance(kinds, int) else len(kinds)
    try:
        if len(token) > MAX_TOKEN_CHARS:
            raise ValueError("too long")
        padded = token + "=" * (-len(token) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(parts, list) or len(parts) != arity:
            raise ValueError("wrong shape")
        if isinstance(kinds, int):
            if not all(_scalar(part) for part in parts):
                raise ValueError("not a scalar")
            return parts
        return [_typed(part, kind) for part, kind in zip(parts, kinds, strict=True)]
    except (ValueError, TypeError, OverflowError, UnicodeError, binascii.Error, RecursionError):
        shown = token if len(token) <= 80 else token[:77] + "..."
        raise ValidationError(
            f"page_token {shown!r} is not a token this service issued; pass the "
            "next_page_token of a previous response, or None for the first page"
        ) from None


def read_page_token(token: object, kinds: tuple[type, ...]) -> list[Any] | None:
    """The cursor of *token*, or None for the first page (a token of None or ``""``)."""
    if token is None or token == "":
        return None
    return decode_page_token(token, kinds)


def next_page(
    rows: Sequence[T], limit: int, cursor: Callable[[T], Sequence[str | int | float]]
) -> tuple[list[T], str | None]:
    """The first *limit* of *rows* (fetched with ``limit + 1``) and the next page's token."""
    page = list(rows[:limit])
    token = encode_page_token(*cursor(page[-1])) if len(rows) > limit else None
    return page, token


def _typed(value: Any, kind: type) -> Any:
    if kind is str and isinstance(value, str):
        return value
    if kind is int and type(value) is int and 0 <= value <= _MAX_INT:
        return value
    if kind is float and type(value) in (int, float) and math.isfinite(value):
        return float(value)
    raise ValueError(f"{value!r} is not a {kind.__name__} cursor value")


def _scalar(value: Any) -> bool:
    if type(value) is float:
        return math.isfinite(value)
    return isinstance(value, str) or (type(value) is int and abs(value) <= _MAX_INT)
