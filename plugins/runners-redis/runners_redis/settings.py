"""Parsing a ``redis://`` service URL into connection arguments and our own options.

Our options (``prefix``, ``ttl``, ``lease``, ``allow_eviction``) are removed from the query string
before the rest goes to redis-py, which would otherwise pass unknown names on
to its connection class and fail only at the first command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from pydantic import Field, field_validator

from runners_core.errors import ConfigError
from runners_core.redaction import redact, redact_url, url_secrets
from runners_core.url_options import (
    MAX_SECONDS,
    NonNegativeInt,
    NonNegativeSeconds,
    PositiveInt,
    Seconds,
    UrlOptions,
    parse_options,
)

try:
    from redis.driver_info import DriverInfo
except ImportError:  # redis-py before 7.1
    _DRIVER_INFO: Any = None
else:
    # redis-py names itself to the server (CLIENT SETINFO) on every connection; left to
    # itself it reads its version from the installed packages' metadata for each new
    # connection object (about 2 ms of CPU here, paid by a fresh process's first load).
    _DRIVER_INFO = DriverInfo(lib_version=redis.__version__)

DEFAULT_PREFIX = "runners"
DEFAULT_LEASE_SECONDS = 15.0
MIN_LEASE_SECONDS = 0.1
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_SOCKET_TIMEOUT = 30.0

# The prefix starts every key; it may not contain the key separator "/".
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")


@dataclass(frozen=True)
class RedisSettings:
    """Where the server is and how this service lays out and expires its keys."""

    connection_url: str
    """The URL handed to redis-py: ours minus our own options."""
    redacted_url: str
    """The URL as it may appear in messages (password replaced)."""
    prefix: str
    ttl: float | None
    """Seconds an untouched session lives; None keeps sessions until deleted."""
    lease: float
    """Seconds a run lease lives without renewal (a dead holder frees it after this)."""
    allow_eviction: bool = False
    """Accept a server whose ``maxmemory-policy`` may evict keys (or cannot be read)."""

    @property
    def ttl_ms(self) -> int:
        return 0 if self.ttl is None else max(1, round(self.ttl * 1000))

    @property
    def lease_ms(self) -> int:
        return max(1, round(self.lease * 1000))

    def connection_kwargs(self) -> dict[str, Any]:
        """Defaults for redis-py that the URL did not set."""
        query = dict(parse_qsl(urlsplit(self.connection_url).query))
        kwargs: dict[str, Any] = {"decode_responses": True}
        if "socket_connect_timeout" not in query:
            kwargs["socket_connect_timeout"] = DEFAULT_CONNECT_TIMEOUT
        if "socket_timeout" not in query:
            kwargs["socket_timeout"] = DEFAULT_SOCKET_TIMEOUT
        if _DRIVER_INFO is not None:
            kwargs["driver_info"] = _DRIVER_INFO
        return kwargs


def parse_redis_url(
    url: str,
    *,
    prefix: str | None = None,
    ttl: float | None = None,
    lease: float | None = None,
) -> RedisSettings:
    """Split *url* into redis-py's URL and our options; keywords override the URL's."""
    if not isinstance(url, str):
        raise ConfigError(f"a Redis URL must be a string, got {type(url).__name__}")
    redacted = redact_url(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ConfigError(
            f"Redis URL {redacted} cannot be parsed ({redact(exc, url_secrets(url))}); write it as "
            "redis://[user:password@]host[:port][/db][?prefix=...&ttl=...]"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss"):
        raise ConfigError(
            f"Redis URL {redacted} has scheme {scheme!r}; use redis:// or rediss:// (TLS)"
        )
    _check_db_path(parts.path, redacted)

    query = parse_qsl(parts.query, keep_blank_values=True)
    keywords = {"prefix": prefix, "ttl": ttl, "lease": lease}
    options = parse_options(RedisOptions, query, url=url, overrides=keywords)
    tls_only = sorted(
        name
        for name, value in options.values().items()
        if name in TLS_OPTIONS and value is not None
    )
    if tls_only and scheme != "rediss":
        raise ConfigError(
            f"Redis URL {redacted} sets {tls_only[0]}, which applies to TLS connections only; "
            "use rediss:// for TLS, or remove the option"
        )
    # redis-py parses its own options again from the URL: hand it only those.
    passed = [(name, value) for name, value in query if name not in OWN_OPTIONS]
    connection_url = urlunsplit(parts._replace(query=urlencode(passed)))
    return RedisSettings(
        connection_url=connection_url,
        redacted_url=redacted,
        prefix=options.prefix,
        ttl=options.ttl,
        lease=options.lease,
        allow_eviction=options.allow_eviction,
    )


def _check_db_path(path: str, redacted: str) -> None:
    db = path.strip("/")
    if db and not (db.isdigit() and db.isascii()):
        raise ConfigError(
            f"Redis URL {redacted} has path {path!r}; the path is the database number, "
            "e.g. redis://127.0.0.1:6379/0"
        )


OWN_OPTIONS = frozenset({"prefix", "ttl", "lease", "allow_eviction"})
TLS_OPTIONS = frozenset(
    {"ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_check_hostname"}
)
Prefix = Annotated[str, Field(pattern=_PREFIX.pattern)]


class RedisOptions(UrlOptions):
    """A ``redis://`` URL's options: ours (prefix, ttl, lease) and redis-py's, all checked
    when the service is built (redis-py itself would fail only at the first command)."""

    backend: ClassVar[str] = "Redis service"

    prefix: Prefix = Field(
        default=DEFAULT_PREFIX,
        description="1-128 letters, digits and . _ : - starting with a letter or digit, no '/'",
    )
    ttl: float | None = Field(
        default=None,
        ge=0.001,
        le=MAX_SECONDS,
        allow_inf_nan=False,
        description="seconds an untouched session lives, at least 0.001",
    )
    lease: float = Field(
        default=DEFAULT_LEASE_SECONDS,
        ge=MIN_LEASE_SECONDS,
        le=MAX_SECONDS,
        allow_inf_nan=False,
        description=f"seconds a run lease lives without renewal, at least {MIN_LEASE_SECONDS}",
    )
    allow_eviction: bool = Field(
        default=False,
        description="true accepts a server whose maxmemory-policy is not noeviction "
        "(evicted keys lose acknowledged data)",
    )
    db: NonNegativeInt | None = None
    socket_timeout: Seconds | None = None
    socket_connect_timeout: Seconds | None = None
    socket_keepalive: bool | None = None
    max_connections: PositiveInt | None = None
    health_check_interval: NonNegativeSeconds | None = None
    client_name: str | None = None
    protocol: Annotated[int, Field(ge=2, le=3, description="2 or 3")] | None = None
    ssl_cert_reqs: Literal["none", "optional", "required"] | None = None
    ssl_ca_certs: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_check_hostname: bool | None = None

    @field_validator("ttl", "lease", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number of seconds, not a boolean")
        return value
