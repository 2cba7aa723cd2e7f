"""Bad URLs and unusable servers: clear errors naming the redacted URL and the fix."""

from __future__ import annotations

import psycopg
import pytest
from runners_postgres import (
    PostgresArtifactService,
    PostgresMemoryService,
    PostgresSessionService,
    connection,
    parse_url,
)

from runners_core.errors import BackendError, ConfigError, RetryableBackendError
from runners_core.plugins.manager import load_plugins
from runners_core.services import (
    artifact_service_from_url,
    memory_service_from_url,
    session_service_from_url,
)

SECRET = "hunter2"


def with_password(url: str) -> str:
    # Trust authentication ignores the password; it is there to prove it never leaks.
    return url.replace("postgres@", f"postgres:{SECRET}@", 1)


async def first_call_error(url: str) -> Exception:
    service = PostgresSessionService(url)
    try:
        await service.get_session(app_name="app", user_id="u", session_id="s")
    except Exception as exc:
        return exc
    finally:
        await service.close()
    raise AssertionError(f"no error for {url}")


async def test_unreachable_server_is_retryable_and_says_what_to_check() -> None:
    error = await first_call_error(f"postgresql://postgres:{SECRET}@127.0.0.1:1/test")
    assert isinstance(error, RetryableBackendError)
    message = str(error)
    assert "cannot connect to PostgreSQL at postgresql://postgres:***@127.0.0.1:1/test" in message
    assert "check that the server is running" in message
    assert SECRET not in message


async def test_unknown_role_names_the_credentials(pg_server: str) -> None:
    url = pg_server.replace("postgres@", f"nobody_here:{SECRET}@") + "?schema=x"
    error = await first_call_error(url)
    assert type(error) is BackendError  # not retryable: retrying will not help
    message = str(error)
    assert "rejected the credentials" in message and "nobody_here" in message
    assert "check the user name and password" in message
    assert SECRET not in message and "nobody_here:***@" in message


async def test_missing_database_says_how_to_create_it(pg_server: str) -> None:
    url = with_password(pg_server.rsplit("/", 1)[0] + "/no_such_db_here")
    error = await first_call_error(url)
    assert type(error) is BackendError
    message = str(error)
    assert "does not exist" in message and "createdb" in message
    assert "postgres:***@127.0.0.1:5432/no_such_db_here" in message
    assert SECRET not in message


async def test_too_old_server_is_refused(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # This machine's server is current; requiring a future version makes it "too old".
    with psycopg.connect(pg_url.split("?")[0]) as conn:
        actual = conn.info.server_version
    monkeypatch.setattr(connection, "MIN_SERVER_VERSION", actual + 10000)
    error = await first_call_error(with_password(pg_url))
    assert type(error) is BackendError
    message = str(error)
    assert f"is version {connection.format_version(actual)}" in message
    assert "Upgrade the server" in message and SECRET not in message


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("schema=Bad-Name", "schema='Bad-Name'"),
        ("migrate=sometimes", "use one of 'auto', 'always' or 'never'"),
        ("pool_max=0", "pool_max='0'"),
        ("pool_max=1e3", "pool_max='1e3'"),
        ("pool_min=3&pool_max=2", "pool_min (3) is larger than pool_max (2)"),
        ("pool_timeout=-1", "pool_timeout='-1'"),
        ("pool_timeout=inf", "it must be a finite number"),
        ("pool_timeout=nan", "it must be a finite number"),
        ("pool_timeout=3000000", "overflow the timers"),
    ],
)
def test_invalid_options_are_config_errors(query: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_url(f"postgresql://postgres:{SECRET}@db/test?{query}")
    assert expected in str(info.value)
    assert SECRET not in str(info.value) and "postgres:***@db" in str(info.value)


def test_unknown_keyword_option_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown PostgreSQL service option 'colour'"):
        PostgresSessionService("postgresql://db/test", colour="blue")


def test_libpq_parameters_pass_through_and_our_options_do_not() -> None:
    settings = parse_url(
        "postgres+psycopg://app:pw@db:6543/agents?schema=tenant_1&sslmode=disable&pool_max=9"
    )
    assert (settings.schema, settings.pool_max, settings.migrate) == ("tenant_1", 9, "auto")
    params = psycopg.conninfo.conninfo_to_dict(settings.conninfo)
    assert params["host"] == "db" and params["port"] == "6543" and params["dbname"] == "agents"
    assert params["sslmode"] == "disable" and params["connect_timeout"] == "5"
    assert "schema" not in params and "pool_max" not in params
    assert settings.redacted == (
        "postgres+psycopg://app:***@db:6543/agents?schema=tenant_1&sslmode=disable&pool_max=9"
    )


def test_unknown_libpq_parameter_is_reported_at_construction() -> None:
    # As docs/configuration.md shows it: the option named, with the ones that exist.
    with pytest.raises(ConfigError) as info:
        PostgresSessionService(f"postgresql://postgres:{SECRET}@db/test?colour=blue")
    message = str(info.value)
    assert "unknown PostgreSQL service option 'colour' in postgresql://postgres:***@db" in message
    assert "the options are schema, migrate, pool_min, pool_max, pool_timeout" in message
    assert "sslmode" in message and SECRET not in message


def test_libpq_uri_forms_stay_valid() -> None:
    assert "sslmode=require" in parse_url("postgresql://db/test?ssl=true").conninfo


def test_the_plugin_serves_every_kind_for_both_schemes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNERS_CORE_PLUGINS", "postgres")
    plugins = load_plugins()
    record = plugins.record("postgres")
    assert record is not None and record.state == "enabled", record
    for scheme in ("postgresql", "postgres"):
        url = f"{scheme}://postgres@127.0.0.1/test?schema=s"
        assert isinstance(session_service_from_url(url, plugins=plugins), PostgresSessionService)
        assert isinstance(memory_service_from_url(url, plugins=plugins), PostgresMemoryService)
        assert isinstance(artifact_service_from_url(url, plugins=plugins), PostgresArtifactService)
    # Options for the base class travel through the factory too.
    service = session_service_from_url(
        "postgresql://db/test", plugins=plugins, max_event_bytes=1234
    )
    assert service.max_event_bytes == 1234
