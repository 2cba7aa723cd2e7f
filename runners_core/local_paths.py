"""The local path in a ``sqlite://`` or ``file://`` service URL.

Two jobs need it: anchoring a relative path written in ``pyproject.toml`` to
that file's directory (so running from a subdirectory finds the same store),
and telling whether a URL's store exists yet (read-only commands never create
one). The backends parse their URLs fully themselves; this module only knows
where the path is, in the forms their docs give::

    sqlite:///.runners/sessions.db      relative        sqlite:////abs/sessions.db   absolute
    file://.runners/artifacts           relative        file:///abs/artifacts        absolute

Anything else (other schemes, ``~`` paths, ``sqlite:///:memory:``, hosts) is
left alone: :func:`local_path` returns None for it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

__all__ = ["anchor_url", "local_path"]


def _split(url: str) -> tuple[str, str, str] | None:
    """``(kind, raw path, query)`` for a local sqlite/file URL, else None."""
    scheme, sep, _ = url.partition("://")
    if not sep:
        return None
    base_scheme = scheme.lower().split("+", 1)[0]
    if base_scheme == "sqlite":
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        raw = unquote(parts.path)[1:]  # the first slash separates the (empty) host
        if parts.netloc or not raw or raw == ":memory:" or raw.startswith("file:"):
            return None
        return "sqlite", raw, parts.query
    if base_scheme == "file":
        rest = url[len(scheme) + 3 :]
        raw, _, query = rest.partition("?")
        raw = unquote(raw)
        if raw.lower().startswith("localhost/"):
            raw = raw[len("localhost") :]
        if not raw or "#" in rest or "\x00" in raw:
            return None
        return "file", raw, query
    return None


def local_path(url: str, base: Path | None = None) -> Path | None:
    """The file or directory *url* stores into (relative ones against *base* or the cwd)."""
    split = _split(url)
    if split is None:
        return None
    path = Path(split[1]).expanduser()
    return path if path.is_absolute() else (base or Path.cwd()) / path


def anchor_url(url: str, base: Path) -> str:
    """*url* with a relative local path made absolute under *base*; others unchanged."""
    split = _split(url)
    if split is None:
        return url
    kind, raw, query = split
    if raw.startswith("~") or Path(raw).is_absolute():
        return url
    scheme = url.partition("://")[0]
    absolute = quote(str(base.resolve() / raw), safe="/:")
    rebuilt = f"{scheme}:///{absolute.lstrip('/')}" if kind == "file" else f"{scheme}:///{absolute}"
    return f"{rebuilt}?{query}" if query else rebuilt
