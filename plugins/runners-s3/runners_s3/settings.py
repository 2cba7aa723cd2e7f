"""Reading an ``s3://bucket/prefix`` artifact URL.

::

    s3://my-bucket                                   the whole bucket
    s3://my-bucket/agents/prod                       keys under agents/prod/
    s3://my-bucket/art?endpoint_url=http://127.0.0.1:9000&create_bucket=true

Credentials never go in the URL: they come from the standard AWS chain (environment,
shared config and credential files with ``AWS_PROFILE`` or ``?profile=``, container and
instance roles). Options go in the query string or as keyword arguments of
:class:`~runners_s3.S3ArtifactService`, which win over the URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from runners_core.errors import ConfigError
from runners_core.redaction import redact, redact_url, url_secrets

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB  # S3 refuses smaller parts (except the last)
MAX_PARTS = 10_000
MAX_PREFIX_BYTES = 150  # keys are at most 1024 bytes; each escaped component <= 200
_EXAMPLE = "s3://bucket/prefix (options: ?endpoint_url=http://host:port&region=...)"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-_]{1,61}[a-z0-9]$")

AddressingStyle = Literal["auto", "path", "virtual"]


@dataclass(frozen=True)
class S3Settings:
    """Where artifacts go and how to talk to the store; build it with :func:`parse_url`."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    addressing_style: AddressingStyle = "auto"
    create_bucket: bool = False
    multipart_threshold: int = 16 * MIB
    part_size: int = 8 * MIB
    max_concurrency: int = 4
    max_attempts: int = 3
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_artifact_bytes: int | None = None

    @property
    def location(self) -> str:
        """``s3://bucket/prefix`` plus the endpoint, for messages (never holds a secret)."""
        where = f"s3://{self.bucket}/{self.prefix}"
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where

    def key(self, *parts: str) -> str:
        return self.prefix + "/".join(parts)


def parse_url(url: str, **overrides: Any) -> S3Settings:
    """The settings an ``s3://`` URL asks for; *overrides* (same names) win over the URL."""
    shown = redact_url(url)
    if not isinstance(url, str) or not url.lower().startswith("s3://"):
        raise ConfigError(f"{shown!r} is not an s3:// URL; write {_EXAMPLE}")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ConfigError(
            f"S3 URL cannot be parsed ({redact(exc, url_secrets(url))}); write {_EXAMPLE}"
        ) from None
    if "@" in parts.netloc:
        raise ConfigError(
            "S3 URLs do not take credentials (s3://KEY:SECRET@bucket); remove them from "
            "the URL and set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or use an "
            "instance role"
        )
    bucket = parts.netloc
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise ConfigError(
            f"{bucket!r} in {shown!r} is not a bucket name (3-63 lower-case letters, digits, "
            f"'.', '-'); write {_EXAMPLE}"
        )
    if parts.fragment:
        raise ConfigError(f"S3 URL {shown!r} has a '#fragment'; remove it")
    prefix = _prefix(unquote(parts.path), url)
    options: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
    options.update(overrides)
    unknown = sorted(set(options) - set(_CONVERTERS))
    if unknown:
        raise ConfigError(
            f"unknown S3 artifact option {unknown[0]!r} in {shown!r}; the options are "
            f"{', '.join(_CONVERTERS)}"
        )
    values: dict[str, Any] = {}
    for key, value in options.items():
        try:
            values[key] = _CONVERTERS[key](value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"S3 option {key}={value!r} in {shown!r} is invalid: {exc}") from None
    if values.get("endpoint_url") and "addressing_style" not in values:
        values["addressing_style"] = "path"  # what MinIO, Ceph and moto expect
    settings = S3Settings(bucket=bucket, prefix=prefix, **values)
    if settings.part_size * MAX_PARTS < (settings.max_artifact_bytes or 0):
        raise ConfigError(
            f"part_size={settings.part_size} is too small for max_artifact_bytes="
            f"{settings.max_artifact_bytes} (S3 allows {MAX_PARTS} parts); raise part_size"
        )
    return settings


def _prefix(path: str, url: str) -> str:
    shown = redact_url(url)
    segments = [s for s in path.split("/") if s]
    if any(s in (".", "..") or "\\" in s or "\x00" in s for s in segments):
        raise ConfigError(f"the key prefix of {shown!r} has a '.', '..', '\\' or NUL segment")
    prefix = "/".join(segments)
    if len(prefix.encode()) > MAX_PREFIX_BYTES:
        raise ConfigError(
            f"the key prefix of {shown!r} is longer than {MAX_PREFIX_BYTES} bytes; S3 keys are "
            "limited to 1024 bytes, shorten it"
        )
    return prefix + "/" if prefix else ""


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("use true or false")


def _endpoint(value: Any) -> str | None:
    text = str(value).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL, e.g. http://127.0.0.1:9000")
    if parts.username or parts.password:
        raise ValueError("must not hold credentials; use the AWS credential chain")
    return text.rstrip("/")


def _bounded(low: float, high: float, kind: type = int) -> Any:
    def convert(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number")
        number = kind(value)
        if not low <= number <= high:
            # Byte sizes read exactly (5242880, not 5.24288e+06): users type them as bytes.
            raise ValueError(f"must be between {_number(low)} and {_number(high)}")
        return number

    return convert


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _style(value: Any) -> str:
    text = str(value).lower()
    if text not in ("auto", "path", "virtual"):
        raise ValueError("use auto, path or virtual")
    return text


def _text(value: Any) -> str | None:
    return str(value).strip() or None


_CONVERTERS = {
    "endpoint_url": _endpoint,
    "region": _text,
    "profile": _text,
    "addressing_style": _style,
    "create_bucket": _flag,
    "multipart_threshold": _bounded(MIN_PART_SIZE, 5 * 1024 * MIB),
    "part_size": _bounded(MIN_PART_SIZE, 5 * 1024 * MIB),
    "max_concurrency": _bounded(1, 64),
    "max_attempts": _bounded(1, 20),
    "connect_timeout": _bounded(0.1, 600, float),
    "read_timeout": _bounded(0.1, 3600, float),
    "max_artifact_bytes": _bounded(1, 5 * 1024 * 1024 * MIB),
}
