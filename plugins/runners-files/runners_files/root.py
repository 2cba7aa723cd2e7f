"""The artifact root and its marker file, ``.runners-files.json``.

The marker says the directory is a runners-files store, which layout version wrote it
and whether names are case-folded (see :mod:`runners_core.artifacts.keys`). A root is created
(with the marker) when it is missing or empty; a non-empty directory without a marker
is refused, so a mistyped URL never scatters artifacts over, say, a home directory.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from runners_core.errors import BackendError
from runners_files import tree
from runners_files.errors import ForeignContentError

MARKER = ".runners-files.json"
LAYOUT = 1


@dataclass(frozen=True)
class RootInfo:
    fold_case: bool


def prepare(root: Path) -> RootInfo:
    """Create or check the root; what its marker says."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise BackendError(
            f"cannot use {str(root)!r} as the artifact root: {exc.strerror}; check the "
            "file:// URL and the directory's permissions"
        ) from None
    try:
        marker = tree.read_all(fd, MARKER)
        if marker is None:
            visible = [name for name in tree.entries(fd) if not name.startswith(".")]
            if visible:
                raise ForeignContentError(
                    f"{str(root)!r} is not empty and has no {MARKER}, so it is not a "
                    f"runners-files artifact root (it holds {sorted(visible)[:3]}); point the "
                    "file:// URL at a new or empty directory"
                )
            marker = _create_marker(fd)
        return _parse(marker, root)
    finally:
        os.close(fd)


def _create_marker(fd: int) -> bytes:
    content = json.dumps(
        {"format": "runners-files", "layout": LAYOUT, "fold_case": _case_insensitive(fd)}
    ).encode()
    temp = tree.write_temp(fd, content)
    try:
        tree.link_new(fd, temp, MARKER)  # a concurrent creator may win; read theirs
    finally:
        tree.remove(fd, temp)
    os.fsync(fd)
    return tree.read_all(fd, MARKER) or content


def _case_insensitive(fd: int) -> bool:
    probe = f".case-probe-{uuid.uuid4().hex}"
    os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=fd))
    try:
        os.stat(probe.upper(), dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    else:
        return True
    finally:
        os.unlink(probe, dir_fd=fd)


def _parse(marker: bytes, root: Path) -> RootInfo:
    try:
        data = json.loads(marker)
        ok = data.get("format") == "runners-files" and isinstance(data.get("layout"), int)
    except (ValueError, AttributeError):
        ok = False
    if not ok:
        raise ForeignContentError(
            f"{str(root / MARKER)!r} is not a runners-files marker; restore it or point the "
            "file:// URL at another directory"
        )
    if data["layout"] > LAYOUT:
        raise BackendError(
            f"the artifact root {str(root)!r} was written by a newer runners-files (layout "
            f"{data['layout']}, this one reads {LAYOUT}); upgrade runners-files"
        )
    return RootInfo(fold_case=bool(data.get("fold_case", False)))
