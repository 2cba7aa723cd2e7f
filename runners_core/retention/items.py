"""What retention is about to delete, as plugins see it in ``on_prune``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PruneKind = Literal["session", "events", "artifact_versions", "memories"]


@dataclass(frozen=True)
class PruneItem:
    """One deletion ``prune`` is about to make (or, in a dry run, would make).

    ``kind`` says what: a whole ``session`` (with its session-scoped artifacts), some
    of a session's oldest ``events`` (``ids``), old ``artifact_versions`` of
    ``filename`` (``versions``), or a user's old ``memories`` (``ids``).
    """

    kind: PruneKind
    app_name: str
    user_id: str
    session_id: str | None = None
    ids: tuple[str, ...] = ()
    filename: str | None = None
    versions: tuple[int, ...] = ()
    reason: str = ""
    dry_run: bool = False

    @property
    def count(self) -> int:
        if self.kind == "session":
            return 1
        return len(self.versions) if self.kind == "artifact_versions" else len(self.ids)
