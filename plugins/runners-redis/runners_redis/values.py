"""How state values and timestamps are written into Redis strings and read back."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

from runners_core.errors import ValidationError


def encode_json(value: Any, what: str) -> str:
    """JSON for *value*, serialised as pydantic serialises events; *what* names it in errors."""
    try:
        return to_json(value).decode()
    except PydanticSerializationError as exc:
        raise ValidationError(
            f"{what} cannot be stored as JSON ({exc}); use plain data (str, int, float, "
            "bool, None, lists and dicts of them)"
        ) from None


def encode_pairs(values: Mapping[str, Any]) -> Iterator[str]:
    """``key, json(value), key, json(value), ...`` for a Lua script's ARGV."""
    for key, value in values.items():
        yield key
        yield encode_json(value, f"state value for {key!r}")


def decode_hash(raw: Mapping[str, str] | list[str]) -> dict[str, Any]:
    """A state hash from HGETALL (a mapping, or a flat list when a script returns it)."""
    if isinstance(raw, Mapping):
        return {key: json.loads(value) for key, value in raw.items()}
    return {raw[i]: json.loads(raw[i + 1]) for i in range(0, len(raw), 2)}


def encode_float(value: float) -> str:
    """The shortest text that reads back as exactly *value* (in Python and in Lua)."""
    return repr(float(value))
