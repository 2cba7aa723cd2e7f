"""The JSON conventions every public model shares, so ADK's JSON reads and writes as ours.

- Fields are populated by their Python name (``function_call=...``) or by the
  camelCase alias ADK and google-genai write (``functionCall``). Dumps use the
  Python names unless ``by_alias=True`` is passed, which is what storage uses
  (older stored rows therefore keep loading) and what ADK-facing JSON uses.
- Bytes travel as base64 text. Both the standard and the URL-safe alphabet are
  read (google-genai writes URL-safe, older runners-core rows are standard);
  URL-safe is written, as google-genai does.
- Enumerations the models report (finish reasons and the like) are open: a value
  a newer model introduces still loads, as an extra member, instead of failing
  the whole session load.
"""

import base64
import binascii
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

_TO_STANDARD = str.maketrans("-_", "+/")


def decode_base64(value: Any) -> Any:
    """Bytes from base64 text in either alphabet, padded or not; other values pass."""
    if not isinstance(value, str):
        return value
    text = value.strip().translate(_TO_STANDARD)
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValueError(
            "bytes given as text must be base64 (standard or URL-safe alphabet); "
            "pass bytes directly, or encode them with base64.urlsafe_b64encode"
        ) from None


def encode_base64(value: bytes) -> str:
    """URL-safe, padded base64 text, as google-genai writes bytes."""
    return base64.urlsafe_b64encode(value).decode("ascii")


Base64Bytes = Annotated[
    bytes,
    BeforeValidator(decode_base64),
    PlainSerializer(encode_base64, return_type=str, when_used="json"),
]
"""``bytes`` in Python; base64 text in JSON (both alphabets read, URL-safe written)."""


class WireModel(BaseModel):
    """Base of the content and event models: strict fields, camelCase aliases."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        defer_build=True,
    )


class ReportModel(BaseModel):
    """Base of what a model reports (usage, grounding, ...): unknown fields are kept.

    These shapes grow with every model release; keeping fields this version does
    not know yet means a session written by a newer ADK still loads, losslessly.
    """

    model_config = ConfigDict(
        extra="allow",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        defer_build=True,
    )


class OpenEnum(StrEnum):
    """A string enumeration that accepts values it does not list (kept as given)."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        for member in cls:
            if member.value == value.upper():
                return member
        extra = str.__new__(cls, value)
        extra._name_ = value
        extra._value_ = value
        return extra
