"""What the two JSON Lines formats (sessions and whole apps) share: strict line models
and one error that names the line and says that nothing was imported."""

from __future__ import annotations

from typing import ClassVar

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
