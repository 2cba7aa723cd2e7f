"""Message content: a :class:`Content` is a role plus a list of :class:`Part` objects.

The shapes follow ``google.genai.types`` closely enough that ADK users recognise
them, without depending on the genai SDK.
"""

from __future__ import annotations

import base64
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Blob(_Model):
    """Raw bytes with a MIME type, carried inline (images, audio chunks, files)."""

    mime_type: str | None = None
    data: bytes = b""
    display_name: str | None = None

    @field_validator("data", mode="before")
    @classmethod
    def _decode_base64(cls, value: Any) -> Any:
        # JSON has no bytes: stored and exported blobs travel as base64 text.
        if isinstance(value, str):
            return base64.b64decode(value.encode("ascii"), validate=True)
        return value

    @field_serializer("data", when_used="json")
    def _encode_base64(self, value: bytes) -> str:
        return base64.b64encode(value).decode("ascii")


class FileData(_Model):
    """A reference to a file stored elsewhere, by URI."""

    file_uri: str
    mime_type: str | None = None
    display_name: str | None = None


class FunctionCall(_Model):
    """A model's request to call a tool."""

    id: str | None = None
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class FunctionResponse(_Model):
    """The result of a tool call, sent back to the model."""

    id: str | None = None
    name: str
    response: dict[str, Any] = Field(default_factory=dict)


class Part(_Model):
    """One piece of a message: exactly one of its fields is normally set."""

    text: str | None = None
    thought: bool | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None

    @classmethod
    def from_text(cls, text: str) -> Part:
        return cls(text=text)

    @classmethod
    def from_bytes(cls, data: bytes, mime_type: str) -> Part:
        return cls(inline_data=Blob(data=data, mime_type=mime_type))

    @classmethod
    def from_uri(cls, file_uri: str, mime_type: str | None = None) -> Part:
        return cls(file_data=FileData(file_uri=file_uri, mime_type=mime_type))

    @classmethod
    def from_function_call(cls, name: str, args: dict[str, Any], id: str | None = None) -> Part:
        return cls(function_call=FunctionCall(name=name, args=args, id=id))

    @classmethod
    def from_function_response(
        cls, name: str, response: dict[str, Any], id: str | None = None
    ) -> Part:
        return cls(function_response=FunctionResponse(name=name, response=response, id=id))


class Content(_Model):
    """A message: who said it (``user`` or ``model``) and its parts."""

    role: str | None = None
    parts: list[Part] = Field(default_factory=list)

    @classmethod
    def from_text(cls, text: str, role: str = "user") -> Content:
        return cls(role=role, parts=[Part(text=text)])

    @property
    def text(self) -> str:
        """The concatenated text of all text parts (empty if there are none)."""
        return "".join(part.text for part in self.parts if part.text)
