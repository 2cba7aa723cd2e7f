"""A whole app as JSON Lines: the format of ``runners export`` / ``runners import``.

One JSON object per line, in this order::

    {"type": "header", "format": "runners-core/app", "version": 1, "app_name": ..., ...}
    {"type": "app_state", "state": {...}}                       app: keys, without prefix
    {"type": "user_state", "user_id": ..., "state": {...}}      one per user with sessions
    {"type": "session", "user_id": ..., "id": ..., "state": {...}, "last_update_time": ...}
    {"type": "event", "event": {...an Event, exactly as stored...}}    its events, in order
    {"type": "artifact", "user_id": ..., "session_id": ..., "filename": ..., "version": 0,
     "kind": "blob", "mime_type": ..., "custom_metadata": {...}, "create_time": ...,
     "data": "<base64>"}                                        every version, in order
    {"type": "memory", "user_id": ..., "id": ..., "session_id": ..., "author": ...,
     "timestamp": ..., "text": ..., "content": "<Content JSON>", "custom_metadata": {...}}
    {"type": "end", "counts": {"sessions": 2, "events": 9, ...}, "sha256": "<hex>"}

The trailer's ``sha256`` is over every line before it (their UTF-8 bytes, each with its
newline): a file cut short or edited is refused before anything is written. Reading is
line by line, so memory stays flat however large the app; one artifact version is one
line, so the largest artifact is the most that is held at once (the writer encodes and
writes its data a chunk at a time, :func:`dump_parts`, so it holds just the bytes).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, field_serializer, field_validator
from pydantic import ValidationError as PydanticValidationError

from runners_cli.line_files import (
    LineFormatError,
    StrictLine,
    numbered_lines,
    refuse_newer_version,
)
from runners_core.events import Event

FORMAT = "runners-core/app"
VERSION = 1
KINDS = ("sessions", "events", "artifacts", "memories", "state")


class AppFormatError(LineFormatError):
    """An app export is malformed; ``line`` is its 1-based number (0: the whole file)."""

    file_format = FORMAT
    file_version = VERSION


class HeaderLine(StrictLine):
    type: Literal["header"] = "header"
    format: Literal["runners-core/app"] = FORMAT
    version: int = Field(default=VERSION, ge=1)
    app_name: str
    exported_at: float
    source: dict[str, str] = Field(default_factory=dict)  # kind -> redacted URL
    unsupported: list[str] = Field(default_factory=list)


class AppStateLine(StrictLine):
    type: Literal["app_state"] = "app_state"
    state: dict[str, Any]


class UserStateLine(StrictLine):
    type: Literal["user_state"] = "user_state"
    user_id: str
    state: dict[str, Any]


class SessionLine(StrictLine):
    type: Literal["session"] = "session"
    user_id: str
    id: str
    state: dict[str, Any]
    last_update_time: float


class EventLine(StrictLine):
    type: Literal["event"] = "event"
    event: Event


class ArtifactLine(StrictLine):
    type: Literal["artifact"] = "artifact"
    user_id: str
    session_id: str | None
    filename: str
    version: int = Field(ge=0)
    kind: str
    mime_type: str | None
    custom_metadata: dict[str, Any]
    create_time: float
    data: bytes

    @field_serializer("data")
    def _encode(self, data: bytes) -> str:
        return base64.b64encode(data).decode()

    @field_validator("data", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except ValueError:
                raise ValueError("data is not valid base64") from None
        return value


class MemoryLine(StrictLine):
    type: Literal["memory"] = "memory"
    user_id: str
    id: str
    session_id: str | None
    author: str | None
    timestamp: float
    text: str
    content: str
    custom_metadata: dict[str, Any]


class EndLine(StrictLine):
    type: Literal["end"] = "end"
    counts: dict[str, int]
    sha256: str


BodyLine = AppStateLine | UserStateLine | SessionLine | EventLine | ArtifactLine | MemoryLine
_BODY = TypeAdapter(Annotated[BodyLine | EndLine, Field(discriminator="type")])


def dump(line: BaseModel) -> str:
    return line.model_dump_json(exclude_none=False) + "\n"


DATA_CHUNK = 3 * 1024 * 1024
"""Bytes of artifact data encoded at a time (a multiple of 3: base64 pieces concatenate)."""


def dump_parts(line: BaseModel, chunk: int = DATA_CHUNK) -> Iterator[str]:
    """:func:`dump`'s text in pieces that join to exactly the same line.

    An artifact line's base64 data comes a chunk at a time: written whole, a 50 MiB
    version would be held as its bytes, its base64 text, the JSON line and that line's
    UTF-8 encoding at once (about 3.7 times its size); in pieces, as its bytes only.
    """
    if not isinstance(line, ArtifactLine) or len(line.data) <= chunk:
        yield dump(line)
        return
    assert chunk % 3 == 0, "base64 pieces only concatenate at multiples of 3 bytes"
    # data is the last field, so the line ends with it: '..., "data":""}\n'.
    empty = dump(line.model_copy(update={"data": b""}))
    closing = '"}\n'
    assert empty.endswith('""}\n'), empty[-40:]
    yield empty[: -len(closing)]
    view = memoryview(line.data)
    for start in range(0, len(view), chunk):
        yield base64.b64encode(view[start : start + chunk]).decode("ascii")
    yield closing


class Counter:
    """Counts body lines per kind and hashes them (per kind and overall), for the trailer
    and for verifying a copy."""

    KIND_OF = {
        "session": "sessions",
        "event": "events",
        "artifact": "artifacts",
        "memory": "memories",
        "app_state": "state",
        "user_state": "state",
    }

    def __init__(self) -> None:
        self.counts = dict.fromkeys(KINDS, 0)
        self._hash = hashlib.sha256()
        self._hashes = {kind: hashlib.sha256() for kind in KINDS}

    def add(self, line: BaseModel, text: str) -> None:
        self.add_parts(line, (text,))

    def add_parts(
        self, line: BaseModel, parts: Iterable[str], write: Callable[[str], object] | None = None
    ) -> None:
        """Count *line*, hashing its text piece by piece (and writing each, if *write*)."""
        kind = self.KIND_OF[line.type]  # type: ignore[attr-defined]
        overall, by_kind = self._hash, self._hashes[kind]
        for part in parts:
            data = part.encode()
            overall.update(data)
            by_kind.update(data)
            if write is not None:
                write(part)
        self.counts[kind] += 1

    def digests(self) -> dict[str, str]:
        return {kind: h.hexdigest() for kind, h in self._hashes.items()}

    def end(self) -> EndLine:
        return EndLine(counts=dict(self.counts), sha256=self._hash.hexdigest())


def read_lines(lines: Iterable[str]) -> Iterator[tuple[int, HeaderLine | BodyLine]]:
    """Parse and check an export line by line; the trailer is checked, not yielded.

    Raises :class:`AppFormatError` at the first bad line, or at the end when the trailer
    is missing or does not match what came before.
    """
    header: HeaderLine | None = None
    counter = Counter()
    end: EndLine | None = None
    number = 0
    previous = ""
    for number, text in numbered_lines(lines, AppFormatError):
        if not text.strip():
            continue
        if end is not None:
            raise AppFormatError(number, "there is content after the end line")
        if header is None:
            header = _header(number, text)
            yield number, header
            continue
        try:
            line = _BODY.validate_json(text)
        except PydanticValidationError as exc:
            raise AppFormatError(number, _problem(exc)) from None
        if isinstance(line, EndLine):
            end = line
            continue
        if isinstance(line, EventLine):
            if previous not in ("session", "event"):
                raise AppFormatError(
                    number, "an event line must follow its session line or another event"
                )
            if line.event.partial:
                raise AppFormatError(number, "partial events are never stored")
        previous = line.type
        counter.add(line, text if text.endswith("\n") else text + "\n")
        yield number, line
    if header is None:
        raise AppFormatError(0, "it is empty; expected a header line")
    if end is None:
        raise AppFormatError(
            number + 1, "the end line is missing: the file is truncated (export it again)"
        )
    expected = counter.end()
    if end.sha256 != expected.sha256 or end.counts != expected.counts:
        raise AppFormatError(
            number,
            f"the end line's counts/checksum do not match the lines before it "
            f"(file says {end.counts}, found {expected.counts}); the file was cut or edited",
        )


def _header(number: int, text: str) -> HeaderLine:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AppFormatError(number, f"not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict) or raw.get("type") != "header" or raw.get("format") != FORMAT:
        raise AppFormatError(
            number,
            f'the first line must be the header {{"type": "header", "format": "{FORMAT}", ...}}'
            "; this is not a runners app export (a 'runners sessions export' file is imported "
            "with 'runners sessions import')",
        )
    refuse_newer_version(number, raw, AppFormatError)
    try:
        return HeaderLine.model_validate(raw)
    except PydanticValidationError as exc:
        raise AppFormatError(number, f"bad header: {_problem(exc)}") from None


def _problem(exc: PydanticValidationError) -> str:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return f"not valid JSON ({first['msg']})"
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in exc.errors()[:3]
    )
