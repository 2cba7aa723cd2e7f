"""Identifiers and artifact names as single path components (directory entries, key parts).

Backends that store artifacts under paths (files, object stores) keep every app name,
user id, session id and artifact name in exactly one component, so an artifact named
``reports/q1.txt`` cannot be confused with a folder, and no value can add, skip or leave
a level. The encoding is percent-escaping of the few characters that would break that:

- ``/`` (a separator) and ``%`` (the escape itself);
- a leading ``.`` (entries starting with a dot are left to the backend's own use:
  temporary files, markers) and a leading ``~`` (hashed entries);
- with *fold_case* (for case-insensitive file systems), every upper-case ASCII letter
  and every non-ASCII character, so two values that differ only in case or Unicode
  normalisation never share a component.

An encoding longer than :data:`MAX_ENTRY_BYTES` is replaced by ``~`` and the SHA-256 of
the value; the backend then keeps the exact value elsewhere (a sidecar).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote

MAX_ENTRY_BYTES = 200
"""File systems allow 255 bytes per component; stay well below, leaving room for suffixes."""

HASHED_PREFIX = "~"
_HASHED = re.compile(r"^~[0-9a-f]{64}$")


def encode(value: str, *, fold_case: bool) -> str:
    """The directory entry that stores *value* (see the module docstring)."""
    out: list[str] = []
    for i, ch in enumerate(value):
        if (
            ch in "%/"
            or (i == 0 and ch in ".~")
            or (fold_case and (ch.isupper() if ch.isascii() else True))
        ):
            out.extend(f"%{byte:02X}" for byte in ch.encode("utf-8"))
        else:
            out.append(ch)
    entry = "".join(out)
    if len(entry.encode("utf-8")) > MAX_ENTRY_BYTES:
        return HASHED_PREFIX + hashlib.sha256(value.encode("utf-8")).hexdigest()
    return entry


def is_hashed(entry: str) -> bool:
    return bool(_HASHED.match(entry))


def hashed_matches(entry: str, value: str) -> bool:
    """Whether the hashed *entry* stands for *value*."""
    return entry == HASHED_PREFIX + hashlib.sha256(value.encode("utf-8")).hexdigest()


def decode(entry: str, *, fold_case: bool) -> str | None:
    """The value an unhashed *entry* stores, or None if the store would never write *entry*."""
    try:
        value = unquote(entry, errors="strict")
    except UnicodeDecodeError:
        return None
    return value if value and encode(value, fold_case=fold_case) == entry else None
