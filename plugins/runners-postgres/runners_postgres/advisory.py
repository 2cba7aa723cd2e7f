"""Advisory lock ids: PostgreSQL takes a 64-bit integer, we have names."""

from __future__ import annotations

import hashlib


def advisory_key(*parts: str) -> int:
    """A signed 64-bit advisory lock id for *parts* (a collision only over-serialises)."""
    digest = hashlib.blake2b("\x00".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
