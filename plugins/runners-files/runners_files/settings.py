"""Reading a ``file://`` artifact URL: which directory is the root, and the options.

Everything after ``file://`` is the path::

    file://.runners/artifacts          relative to the current directory when the service is built
    file:///var/lib/agents/artifacts   absolute (three slashes)
    file://~/agents/artifacts          under the home directory
    file://localhost/var/lib/agents    absolute, RFC 8089's form with a host

Options go in the query string (``?max_artifact_bytes=1000000&synchronous=normal``) or as keyword
arguments of :class:`~runners_files.FileArtifactService`, which win over the URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from runners_core.errors import ConfigError
from runners_core.redaction import redact_url

_EXAMPLE = "file://.runners/artifacts (relative) or file:///abs/path/artifacts"


@dataclass(frozen=True)
class FilesSettings:
    """Where the artifact root is and the size limit; build it with :func:`parse_url`."""

    url: str
    root: Path
    max_artifact_bytes: int | None = None
    synchronous: str = "full"

    @property
    def fsync(self) -> bool:
        """Whether saves fsync (``synchronous=full``) or only rely on atomic renames."""
        return self.synchronous == "full"


def parse_url(url: str, **overrides: Any) -> FilesSettings:
    """The settings a ``file://`` URL asks for; *overrides* (same names) win over the URL."""
    shown = redact_url(url)
    if not isinstance(url, str) or not url.lower().startswith("file://"):
        raise ConfigError(f"{shown!r} is not a file:// URL; write {_EXAMPLE}")
    rest = url[len("file://") :]
    if "#" in rest:
        raise ConfigError(f"file URL {shown!r} has a '#fragment'; remove it (write {_EXAMPLE})")
    raw, _, query = rest.partition("?")
    raw = unquote(raw)
    if raw.lower().startswith("localhost/"):
        raw = raw[len("localhost") :]
    if not raw:
        raise ConfigError(f"file URL {shown!r} names no directory; write {_EXAMPLE}")
    if "\x00" in raw:
        raise ConfigError(f"file URL {shown!r} contains a NUL byte; write {_EXAMPLE}")
    options: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    options.update(overrides)
    unknown = sorted(set(options) - {"max_artifact_bytes", "synchronous"})
    if unknown:
        raise ConfigError(
            f"unknown file artifact option {unknown[0]!r} in {shown!r}; the options are "
            "max_artifact_bytes and synchronous"
        )
    limit = options.get("max_artifact_bytes")
    if limit is not None:
        limit = _positive_int("max_artifact_bytes", limit, url)
    synchronous = str(options.get("synchronous", "full")).lower()
    if synchronous not in ("full", "normal"):
        raise ConfigError(
            f"file artifact option synchronous={options['synchronous']!r} in {shown!r} is "
            "invalid: use full (fsync: saves survive power loss) or normal (no fsync: saves "
            "survive process crashes)"
        )
    root = Path(raw).expanduser()
    return FilesSettings(
        url=url, root=Path.cwd() / root, max_artifact_bytes=limit, synchronous=synchronous
    )


def _positive_int(key: str, value: Any, url: str) -> int:
    shown = redact_url(url)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number < 1:
        raise ConfigError(
            f"file artifact option {key}={value!r} in {shown!r} must be an integer >= 1"
        )
    return number
