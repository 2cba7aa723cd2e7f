"""Reading a ``postgresql://`` service URL: our options out, libpq's connection string in.

The URL is a libpq connection URI (user, password, host, port, database and libpq
parameters such as ``sslmode``) plus a few options of our own, removed before the
rest is handed to libpq::

    postgresql://app:secret@db:5432/agents?schema=runners&migrate=auto&pool_max=10&sslmode=require
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from runners_core.errors import ConfigError
from runners_core.redaction import redact, redact_url, secrets_in

MigrateMode = Literal["auto", "always", "never"]
MIGRATE_MODES: tuple[MigrateMode, ...] = ("auto", "always", "never")
DEFAULT_SCHEMA = "runners"
DEFAULT_CONNECT_TIMEOUT = 5
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class PostgresSettings:
    """Everything a service needs to reach its tables; build it with :func:`parse_url`."""

    url: str
    conninfo: str
    schema: str = DEFAULT_SCHEMA
    migrate: MigrateMode = "auto"
    pool_min: int = 1
    pool_max: int = 5
    pool_timeout: float = 10.0

    @property
    def redacted(self) -> str:
        return redact_url(self.url)

    def connect_options(self, *extra: str) -> str:
        """The libpq ``options`` string: the URL's own, the schema's search_path, *extra*."""
        given = conninfo_to_dict(self.conninfo).get("options") or ""
        parts = [str(given), f"-c search_path={self.schema}", *extra]
        return " ".join(p for p in parts if p)


def parse_url(url: str, **overrides: Any) -> PostgresSettings:
    """Split *url* into libpq's part and ours; *overrides* (same names) win over the URL."""
    redacted = redact_url(url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ConfigError(f"PostgreSQL URL {redacted} cannot be parsed: {exc}") from None
    scheme = parts.scheme.lower().split("+", 1)[0]  # postgresql+psycopg:// as SQLAlchemy writes it
    if scheme not in ("postgresql", "postgres"):
        raise ConfigError(
            f"{redacted} is not a PostgreSQL URL; write postgresql://user@host:5432/database"
        )
    ours: dict[str, Any] = {}
    libpq: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in _OPTION_TYPES:
            ours[key] = value
        else:
            libpq.append((key, value))
    ours.update(overrides)
    unknown = sorted(set(ours) - set(_OPTION_TYPES))
    if unknown:
        raise ConfigError(
            f"unknown PostgreSQL service option {unknown[0]!r}; the options are "
            f"{', '.join(_OPTION_TYPES)} (URL {redacted})"
        )
    options = {key: _convert(key, value, redacted) for key, value in ours.items()}
    cleaned = urlunsplit(parts._replace(scheme="postgresql", query=urlencode(libpq)))
    try:
        params = conninfo_to_dict(cleaned)
    except Exception as exc:  # psycopg.ProgrammingError for malformed URIs
        detail = redact(str(exc), secrets_in(url))
        raise ConfigError(f"PostgreSQL URL {redacted} is not valid for libpq: {detail}") from None
    params.setdefault("connect_timeout", DEFAULT_CONNECT_TIMEOUT)
    params.setdefault("application_name", "runners-postgres")
    settings = PostgresSettings(url=url, conninfo=make_conninfo("", **params), **options)
    if settings.pool_min > settings.pool_max:
        raise ConfigError(
            f"pool_min ({settings.pool_min}) is larger than pool_max ({settings.pool_max}) "
            f"in {redacted}; lower pool_min or raise pool_max"
        )
    return settings


def _schema(value: str) -> str:
    if not _SCHEMA_NAME.match(value):
        raise ValueError(
            "use lower-case letters, digits and _ (at most 63, not starting with a digit)"
        )
    return value


def _migrate(value: str) -> str:
    if value not in MIGRATE_MODES:
        raise ValueError(f"use one of {', '.join(MIGRATE_MODES)}")
    return value


def _positive_int(value: Any) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _non_negative_int(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be at least 0")
    return number


def _positive_float(value: Any) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be a positive number of seconds")
    return number


_OPTION_TYPES = {
    "schema": _schema,
    "migrate": _migrate,
    "pool_min": _non_negative_int,
    "pool_max": _positive_int,
    "pool_timeout": _positive_float,
}


def _convert(key: str, value: Any, redacted: str) -> Any:
    try:
        return _OPTION_TYPES[key](value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"PostgreSQL option {key}={value!r} in {redacted} is invalid: {exc}"
        ) from None
