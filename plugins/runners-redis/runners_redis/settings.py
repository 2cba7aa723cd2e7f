"""Parsing a ``redis://`` service URL into connection arguments and our own options.

Our options (``prefix``, ``ttl``, ``lease``) are removed from the query string
before the rest goes to redis-py, which would otherwise pass unknown names on
to its connection class and fail only at the first command.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from runners_core.errors import ConfigError
from runners_core.redaction import redact_url

DEFAULT_PREFIX = "runners"
DEFAULT_LEASE_SECONDS = 15.0
MIN_LEASE_SECONDS = 0.1
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_SOCKET_TIMEOUT = 30.0

# Query options redis-py understands and we pass through unchanged.
PASS_THROUGH = frozenset(
    {
        "db",
        "socket_timeout",
        "socket_connect_timeout",
        "socket_keepalive",
        "max_connections",
        "health_check_interval",
        "client_name",
        "protocol",
        "ssl_cert_reqs",
        "ssl_ca_certs",
        "ssl_certfile",
        "ssl_keyfile",
        "ssl_check_hostname",
    }
)
OWN_OPTIONS = frozenset({"prefix", "ttl", "lease"})

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
            f"Redis URL {redacted} cannot be parsed ({exc}); write it as "
            "redis://[user:password@]host[:port][/db][?prefix=...&ttl=...]"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss"):
        raise ConfigError(
            f"Redis URL {redacted} has scheme {scheme!r}; use redis:// or rediss:// (TLS)"
        )
    _check_db_path(parts.path, redacted)

    own: dict[str, str] = {}
    passed: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in OWN_OPTIONS:
            own[name] = value
        elif name in PASS_THROUGH:
            passed.append((name, value))
        else:
            known = ", ".join(sorted(OWN_OPTIONS | PASS_THROUGH))
            raise ConfigError(
                f"Redis URL {redacted} has unknown option {name!r}; remove it or use one "
                f"of: {known}"
            )

    chosen_prefix = prefix if prefix is not None else own.get("prefix", DEFAULT_PREFIX)
    if not isinstance(chosen_prefix, str) or not _PREFIX.match(chosen_prefix):
        raise ConfigError(
            f"Redis key prefix {chosen_prefix!r} (URL {redacted}) is not usable: use 1-128 "
            "letters, digits and . _ : - (starting with a letter or digit, no '/')"
        )
    chosen_ttl = ttl if ttl is not None else _seconds(own, "ttl", redacted)
    if chosen_ttl is not None:
        _check_positive("ttl", chosen_ttl, redacted, minimum=0.001)
    chosen_lease = lease if lease is not None else _seconds(own, "lease", redacted)
    if chosen_lease is None:
        chosen_lease = DEFAULT_LEASE_SECONDS
    _check_positive("lease", chosen_lease, redacted, minimum=MIN_LEASE_SECONDS)

    connection_url = urlunsplit(parts._replace(query=urlencode(passed)))
    return RedisSettings(
        connection_url=connection_url,
        redacted_url=redacted,
        prefix=chosen_prefix,
        ttl=float(chosen_ttl) if chosen_ttl is not None else None,
        lease=float(chosen_lease),
    )


def _check_db_path(path: str, redacted: str) -> None:
    db = path.strip("/")
    if db and not (db.isdigit() and db.isascii()):
        raise ConfigError(
            f"Redis URL {redacted} has path {path!r}; the path is the database number, "
            "e.g. redis://127.0.0.1:6379/0"
        )


def _seconds(options: dict[str, str], name: str, redacted: str) -> float | None:
    raw = options.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(
            f"Redis URL {redacted}: option {name}={raw!r} is not a number of seconds; "
            f"write e.g. {name}=3600"
        ) from None


def _check_positive(name: str, value: object, redacted: str, *, minimum: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < minimum
    ):
        raise ConfigError(
            f"Redis option {name}={value!r} (URL {redacted}) must be a number of seconds of "
            f"at least {minimum:g}"
        )
