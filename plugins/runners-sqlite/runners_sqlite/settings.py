"""Reading a ``sqlite://`` service URL: which file, and how to use it.

Paths follow SQLAlchemy's convention, which ADK users already write::

    sqlite:///.runners/sessions.db          relative to the current directory
    sqlite:////var/lib/agents/sessions.db   absolute (four slashes)
    sqlite:///~/agents/sessions.db          under the home directory

Options go in the query string (``?busy_timeout=10&synchronous=full``) or as
keyword arguments of the service classes, which win over the URL.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from pydantic import BeforeValidator, Field

from runners_core.errors import ConfigError
from runners_core.redaction import redact, redact_url, url_secrets
from runners_core.url_options import Megabytes, UrlOptions, parse_options

Synchronous = Literal["normal", "full"]


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


DEFAULT_BUSY_TIMEOUT = 30.0
DEFAULT_EVENT_CACHE_MB = 64.0
_EXAMPLE = "sqlite:///.runners/sessions.db (relative) or sqlite:////abs/path/sessions.db"


@dataclass(frozen=True)
class SqliteSettings:
    """Everything a service needs to reach its file; build it with :func:`parse_url`."""

    url: str
    path: Path
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT
    synchronous: Synchronous = "normal"
    event_cache_mb: float = DEFAULT_EVENT_CACHE_MB

    @property
    def lock_dir(self) -> Path:
        """Where the per-session run lock files live: next to the database file itself.

        Symbolic links (to the file or a directory above it) are resolved, as SQLite
        resolves them for its ``-wal`` and ``-shm`` files, so every name of one database
        leads to the same locks.
        """
        real = Path(os.path.realpath(self.path))
        return real.with_name(real.name + "-locks")


def parse_url(url: str | os.PathLike[str], **overrides: Any) -> SqliteSettings:
    """The settings a ``sqlite://`` URL asks for; *overrides* (same names) win over the URL.

    A path object (``tmp_path / "s.db"``) names the database file directly.
    """
    if isinstance(url, os.PathLike):
        url = "sqlite:///" + quote(str(Path(url).expanduser().absolute()))
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        detail = redact(exc, url_secrets(url))
        message = f"SQLite URL {shown!r} cannot be parsed ({detail}); write {_EXAMPLE}"
        raise ConfigError(message) from None
    if parts.scheme.lower().split("+", 1)[0] != "sqlite":
        raise ConfigError(f"{shown!r} is not a SQLite URL; write {_EXAMPLE}")
    if parts.netloc:
        raise ConfigError(
            f"SQLite URL {shown!r} names a host ({parts.netloc.rpartition('@')[2]!r}), "
            "but SQLite files are local; "
            f"write {_EXAMPLE}"
        )
    raw = unquote(parts.path)[1:]  # the first slash separates the (empty) host from the path
    if not raw or raw.endswith("/"):
        raise ConfigError(f"SQLite URL {shown!r} names no database file; write {_EXAMPLE}")
    if raw.startswith("file:"):
        raise ConfigError(
            f"SQLite URL {shown!r} is not a file path; for throwaway storage use "
            f"sqlite:///:memory: or memory://, otherwise write {_EXAMPLE}"
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    options = parse_options(SqliteOptions, query, url=url, overrides=overrides)
    if raw == ":memory:":
        return _throwaway(url, options.values())
    path = Path(raw).expanduser()
    return SqliteSettings(url=url, path=Path.cwd() / path, **options.values())


def _throwaway(url: str, options: dict[str, Any]) -> SqliteSettings:
    """``sqlite:///:memory:``: a private database that disappears with its service.

    ADK users write it in tests. The backend shares one database between a
    writer thread, readers and other processes' run locks, which an in-memory
    SQLite database cannot do, so each service gets its own database file in a
    fresh temporary directory, removed when the settings (held by the service)
    are garbage-collected or the process exits.
    """
    directory = Path(tempfile.mkdtemp(prefix="runners-sqlite-memory-"))
    settings = SqliteSettings(url=url, path=directory / "memory.db", **options)
    weakref.finalize(settings, shutil.rmtree, directory, True)
    return settings


class SqliteOptions(UrlOptions):
    """The options of a ``sqlite://`` URL (or keyword arguments of the services)."""

    backend: ClassVar[str] = "SQLite service"

    busy_timeout: float = Field(
        default=DEFAULT_BUSY_TIMEOUT,
        ge=0,
        le=86_400,
        allow_inf_nan=False,
        description="a number of seconds from 0 to 86400",
    )
    synchronous: Annotated[Synchronous, BeforeValidator(_lower)] = Field(
        default="normal",
        description="use normal (survives process crashes) or full (also power loss)",
    )
    event_cache_mb: Megabytes = Field(
        default=DEFAULT_EVENT_CACHE_MB,
        description="a number of megabytes, 0 to turn the cache off",
    )
