"""What the two JSON Lines formats (sessions and whole apps) share: strict line models
and one error that names the line and says that nothing was imported."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from runners_core.errors import RunnersError


class StrictLine(BaseModel):
    """One line of an export file; unknown keys are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class LineFormatError(RunnersError, ValueError):
    """A file is malformed; ``line`` is its 1-based number (0: the whole file).

    Subclasses name their format and version, which the message cites.
    """

    file_format: ClassVar[str]
    file_version: ClassVar[int]

    def __init__(self, line: int, problem: str):
        self.line = line
        where = f"line {line}" if line else "the file"
        super().__init__(
            f"{where}: {problem}; nothing was imported. Fix or re-export the file "
            f"(format {self.file_format} version {self.file_version})"
        )


def numbered_lines(lines: Iterable[str], error: type[LineFormatError]) -> Iterator[tuple[int, str]]:
    """1-based numbered lines; undecodable bytes become *error* for that line."""
    iterator = iter(lines)
    number = 0
    while True:
        number += 1
        try:
            text = next(iterator)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise error(number, "is not UTF-8 text") from None
        yield number, text


def refuse_newer_version(number: int, header: dict[str, Any], error: type[LineFormatError]) -> None:
    """Raise *error* when the header's format version is newer than this code reads."""
    version = header.get("version")
    if isinstance(version, int) and version > error.file_version:
        raise error(
            number,
            f"the file uses format version {version}, newer than this runners-core "
            f"understands ({error.file_version}); upgrade runners-core to import it",
        )
