"""Reading a ``postgresql://`` service URL: our options out, libpq's connection string in.

The URL is a libpq connection URI (user, password, host, port, database and libpq
parameters such as ``sslmode``) plus a few options of our own, removed before the
rest is handed to libpq::

    postgresql://app:secret@db:5432/agents?schema=runners&migrate=auto&pool_max=10&sslmode=require
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import Conninfo
from pydantic import Field

from runners_core.errors import ConfigError
from runners_core.redaction import redact, redact_url, secrets_in
from runners_core.url_options import (
    NonNegativeInt,
    PositiveInt,
    Seconds,
    UrlOptions,
    parse_options,
)

MigrateMode = Literal["auto", "always", "never"]
MIGRATE_MODES: tuple[MigrateMode, ...] = ("auto", "always", "never")
DEFAULT_SCHEMA = "runners"
DEFAULT_CONNECT_TIMEOUT = 5


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
    ours: list[tuple[str, str]] = []
    libpq: list[tuple[str, str]] = []
    # libpq's parameters stay as written (libpq decodes %XX itself, and reads "+" as a
    # plus sign, so decoding and re-encoding them would turn %20 into "+").
    raw_libpq: list[str] = []
    for piece in parts.query.split("&") if parts.query else []:
        pairs = parse_qsl(piece, keep_blank_values=True)
        key = pairs[0][0] if pairs else unquote(piece.partition("=")[0])
        if key in PostgresOptions.option_names():
            ours.extend(pairs)
        elif piece:
            libpq.append((key, pairs[0][1] if pairs else ""))
            raw_libpq.append(piece)
    options = parse_options(PostgresOptions, ours, url=url, overrides=overrides)
    cleaned = urlunsplit(parts._replace(scheme="postgresql", query="&".join(raw_libpq)))
    try:
        params = conninfo_to_dict(cleaned)
    except Exception as exc:  # psycopg.ProgrammingError for malformed URIs
        unknown = [key for key, _ in libpq if key not in _libpq_keywords()]
        if unknown:
            raise ConfigError(
                f"unknown PostgreSQL service option {unknown[0]!r} in {redacted}; the options "
                f"are {', '.join(PostgresOptions.option_names())}, and libpq's connection "
                "parameters (sslmode, sslrootcert, application_name, options, ...: "
                "https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS)"
            ) from None
        detail = redact(str(exc), secrets_in(url))
        raise ConfigError(f"PostgreSQL URL {redacted} is not valid for libpq: {detail}") from None
    params.setdefault("connect_timeout", DEFAULT_CONNECT_TIMEOUT)
    params.setdefault("application_name", "runners-postgres")
    settings = PostgresSettings(url=url, conninfo=make_conninfo("", **params), **options.values())
    if settings.pool_min > settings.pool_max:
        raise ConfigError(
            f"pool_min ({settings.pool_min}) is larger than pool_max ({settings.pool_max}) "
            f"in {redacted}; lower pool_min or raise pool_max"
        )
    return settings


@functools.cache
def _libpq_keywords() -> frozenset[str]:
    """The parameters this libpq knows (``ssl=true`` is a URI-only alias it also takes)."""
    return frozenset(o.keyword.decode() for o in Conninfo.get_defaults()) | {"ssl"}


class PostgresOptions(UrlOptions):
    """The options of ours in a ``postgresql://`` URL (the rest goes to libpq)."""

    backend: ClassVar[str] = "PostgreSQL service"

    schema_: str = Field(
        default=DEFAULT_SCHEMA,
        alias="schema",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="lower-case letters, digits and _ (at most 63, not starting with a digit)",
    )
    migrate: MigrateMode = "auto"
    pool_min: NonNegativeInt = 1
    pool_max: PositiveInt = 5
    pool_timeout: Seconds = 10.0
