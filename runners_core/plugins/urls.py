"""Service URLs: the scheme, and where its plugin comes from (redaction: runners_core.redaction)."""

from __future__ import annotations

from runners_core.errors import ConfigError
from runners_core.redaction import redact_url

__all__ = ["KNOWN_PROVIDERS", "redact_url", "url_scheme"]

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
