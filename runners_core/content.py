"""Message content: a :class:`Content` is a role plus a list of :class:`Part` objects.

The shapes are those of ``google.genai.types`` (same field names, same camelCase
JSON, bytes as base64), without depending on the genai SDK, so content an ADK
agent produced is stored and read back without loss.
"""

from typing import Any, Literal, Self

from pydantic import Field

from runners_core.wire import Base64Bytes, ReportModel, WireModel


class Blob(WireModel):
    """Raw bytes with a MIME type, carried inline (images, audio chunks, files)."""

    mime_type: str | None = None
    data: Base64Bytes = b""
    display_name: str | None = None


class FileData(WireModel):
    """A reference to a file stored elsewhere, by URI."""

    file_uri: str
    mime_type: str | None = None
    display_name: str | None = None


class PartialArg(ReportModel):
    """A fragment of a function call's arguments, streamed before the call completes."""

    json_path: str | None = None
    string_value: str | None = None
    number_value: float | None = None
    bool_value: bool | None = None
    null_value: Literal["NULL_VALUE"] | None = None
    will_continue: bool | None = None


class FunctionCall(WireModel):
    """A model's request to call a tool."""

    id: str | None = None
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    partial_args: list[PartialArg] | None = None
    will_continue: bool | None = None


class FunctionResponsePart(WireModel):
    """Media returned by a tool alongside its structured response."""

    inline_data: Blob | None = None
    file_data: FileData | None = None
    media_processing: str | None = None


class FunctionResponse(WireModel):
    """The result of a tool call, sent back to the model."""

    id: str | None = None
    name: str
    response: dict[str, Any] = Field(default_factory=dict)
    will_continue: bool | None = None
    scheduling: str | None = None
    parts: list[FunctionResponsePart] | None = None


class ExecutableCode(ReportModel):
    """Code the model generated for a code-execution tool."""

    id: str | None = None
    code: str | None = None
    language: str | None = None


class CodeExecutionResult(ReportModel):
    """The outcome of running :class:`ExecutableCode`."""

    id: str | None = None
    outcome: str | None = None
    output: str | None = None


class VideoMetadata(ReportModel):
    """Which slice of a video part the model should look at."""

    start_offset: str | None = None
    end_offset: str | None = None
    fps: float | None = None


class ToolCall(ReportModel):
    """A call of a server-side (model-hosted) tool such as search."""

    id: str | None = None
    tool_type: str | None = None
    args: dict[str, Any] | None = None


class ToolResponse(ReportModel):
    """The result of a server-side tool call."""

    id: str | None = None
    tool_type: str | None = None
    response: dict[str, Any] | None = None


class PartMediaResolution(ReportModel):
    """The resolution the model used for a media part."""

    level: str | None = None
    num_tokens: int | None = None


class WordInfo(ReportModel):
    """One word of a transcription with its offsets."""

    word: str | None = None
    start_offset: str | None = None
    end_offset: str | None = None


class Transcription(ReportModel):
    """Text transcribed from audio (the user's input or the model's output)."""

    text: str | None = None
    finished: bool | None = None
    language_code: str | None = None
    speaker_label: str | None = None
    words: list[WordInfo] | None = None
    start_offset: str | None = None
    end_offset: str | None = None


class SpeechMetadata(ReportModel):
    """Who speaks a generated speech part, and how."""

    speaker: str | None = None
    style: str | None = None


class Part(WireModel):
    """One piece of a message: exactly one of its payload fields is normally set.

    ``thought`` marks the model's reasoning; ``thought_signature`` is the opaque
    token a thinking model needs back on the next call, kept byte for byte.
    """

    text: str | None = None
    thought: bool | None = None
    thought_signature: Base64Bytes | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    executable_code: ExecutableCode | None = None
    code_execution_result: CodeExecutionResult | None = None
    video_metadata: VideoMetadata | None = None
    tool_call: ToolCall | None = None
    tool_response: ToolResponse | None = None
    media_resolution: PartMediaResolution | None = None
    part_metadata: dict[str, Any] | None = None
    audio_transcription: Transcription | None = None
    media_processing: str | None = None
    speech_metadata: SpeechMetadata | None = None

    @classmethod
    def from_text(cls, text: str) -> Self:
        return cls(text=text)

    @classmethod
    def from_bytes(cls, data: bytes, mime_type: str) -> Self:
        return cls(inline_data=Blob(data=data, mime_type=mime_type))

    @classmethod
    def from_uri(cls, file_uri: str, mime_type: str | None = None) -> Self:
        return cls(file_data=FileData(file_uri=file_uri, mime_type=mime_type))

    @classmethod
    def from_function_call(cls, name: str, args: dict[str, Any], id: str | None = None) -> Self:
        return cls(function_call=FunctionCall(name=name, args=args, id=id))

    @classmethod
    def from_function_response(
        cls, name: str, response: dict[str, Any], id: str | None = None
    ) -> Self:
        return cls(function_response=FunctionResponse(name=name, response=response, id=id))


class Content(WireModel):
    """A message: who said it (``user`` or ``model``) and its parts."""

    role: str | None = None
    parts: list[Part] = Field(default_factory=list)

    @classmethod
    def from_text(cls, text: str, role: str = "user") -> Self:
        return cls(role=role, parts=[Part(text=text)])

    @property
    def text(self) -> str:
        """The concatenated text of all text parts, thoughts excluded (empty if none)."""
        return "".join(part.text for part in self.parts if part.text and not part.thought)
