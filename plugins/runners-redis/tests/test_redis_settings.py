"""Redis URL parsing: our options, redis-py's options, and clear errors for bad ones."""

from __future__ import annotations

import pytest
from runners_redis.connections import parse_version
from runners_redis.settings import DEFAULT_LEASE_SECONDS, DEFAULT_PREFIX, parse_redis_url

from runners_core.errors import ConfigError

SECRET = "s3cr3t-pw"


def test_defaults() -> None:
    settings = parse_redis_url("redis://127.0.0.1:6379/0")
    assert settings.prefix == DEFAULT_PREFIX
    assert settings.ttl is None and settings.ttl_ms == 0
    assert settings.lease == DEFAULT_LEASE_SECONDS
    assert settings.connection_url == "redis://127.0.0.1:6379/0"


def test_own_options_are_taken_out_and_redis_options_kept() -> None:
    settings = parse_redis_url(
        f"rediss://app:{SECRET}@cache:6380/3?prefix=shop.v2&ttl=90&lease=2.5"
        "&socket_timeout=4&client_name=runner"
    )
    assert (settings.prefix, settings.ttl, settings.lease) == ("shop.v2", 90.0, 2.5)
    assert (settings.ttl_ms, settings.lease_ms) == (90_000, 2_500)
    assert settings.connection_url == (
        f"rediss://app:{SECRET}@cache:6380/3?socket_timeout=4&client_name=runner"
    )
    assert SECRET not in settings.redacted_url
    kwargs = settings.connection_kwargs()
    assert "socket_timeout" not in kwargs  # the URL's value wins
    assert kwargs["socket_connect_timeout"] > 0


def test_keywords_override_the_url() -> None:
    settings = parse_redis_url("redis://h/0?prefix=p&ttl=5", prefix="q", ttl=7, lease=1)
    assert (settings.prefix, settings.ttl, settings.lease) == ("q", 7.0, 1.0)


@pytest.mark.parametrize(
    ("url", "match"),
    [
        (f"redis://u:{SECRET}@h/0?bogus=1", "unknown Redis service option 'bogus'"),
        (f"redis://u:{SECRET}@h/0?ttl=soon", "ttl='soon' .* is invalid"),
        (f"redis://u:{SECRET}@h/0?ttl=0", "at least"),
        (f"redis://u:{SECRET}@h/0?ttl=-5", "at least"),
        (f"redis://u:{SECRET}@h/0?ttl=inf", "at least"),
        (f"redis://u:{SECRET}@h/0?lease=0.01", "at least 0.1"),
        (f"redis://u:{SECRET}@h/0?prefix=a/b", "prefix='a/b'"),
        (f"redis://u:{SECRET}@h/0?prefix=", "prefix=''"),
        (f"redis://u:{SECRET}@h/0?max_connections=abc", "max_connections='abc'"),
        (f"redis://u:{SECRET}@h/0?max_connections=0", "max_connections='0'"),
        (f"redis://u:{SECRET}@h/0?db=abc", "db='abc'"),
        (f"redis://u:{SECRET}@h/0?socket_timeout=inf", "finite"),
        (f"redis://u:{SECRET}@h/0?protocol=4", "protocol='4'"),
        (f"redis://u:{SECRET}@h/0?ssl_cert_reqs=required", "use rediss:// for TLS"),
        (f"rediss://u:{SECRET}@h/0?ssl_cert_reqs=maybe", "ssl_cert_reqs='maybe'"),
        (f"redis://u:{SECRET}@h/zero", "database number"),
        (f"redis://u:{SECRET}@h:notaport/0", "cannot be parsed"),
        (f"http://u:{SECRET}@h/0", "use redis:// or rediss://"),
    ],
)
def test_bad_urls_name_the_problem_without_the_password(url: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as info:
        parse_redis_url(url)
    message = str(info.value)
    assert SECRET not in message
    assert "***@h" in message


@pytest.mark.parametrize("ttl", [0, -1, float("nan"), True])
def test_bad_ttl_keyword(ttl: float) -> None:
    with pytest.raises(ConfigError, match="ttl"):
        parse_redis_url("redis://h/0", ttl=ttl)


def test_version_parsing() -> None:
    assert parse_version("7.0.15") == (7, 0, 15)
    assert parse_version("6.2.0-rc1") == (6, 2, 0)
    assert parse_version("5.0.14") < (6, 2)
    assert parse_version("garbage") == (0,)
