"""Service URLs: parsing the scheme and keeping passwords out of messages."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from runners_core.errors import ConfigError

# Where a scheme's plugin comes from, for "install X" hints.
KNOWN_PROVIDERS = {
    "sqlite": "runners-sqlite",
    "postgresql": "runners-postgres",
    "postgres": "runners-postgres",
    "redis": "runners-redis",
    "rediss": "runners-redis",
    "file": "runners-files",
    "s3": "runners-s3",
}


def redact_url(url: str) -> str:
    """*url* with any password replaced by ``***``; never raises."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparseable URL>"
    if password is None:
        return url
    # Rebuild from the raw netloc: .hostname/.port raise on malformed ports.
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def url_scheme(url: str, kind: str) -> str:
    """The lower-cased scheme of a service URL, or a clear error."""
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError(
            f"{kind} service URL {redact_url(str(url))!r} has no scheme; write it as "
            "scheme://..., e.g. memory://, sqlite:///.runners/sessions.db"
        )
    scheme = url.split("://", 1)[0].lower()
    if "+" in scheme:  # e.g. postgresql+psycopg:// as SQLAlchemy users write it
        scheme = scheme.split("+", 1)[0]
    return scheme
