"""sqlite:// URLs: path forms, options, and clear errors for URLs that cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest
from runners_sqlite import SqliteSessionService, parse_url
from runners_sqlite.settings import DEFAULT_BUSY_TIMEOUT

from runners_core.errors import ConfigError


def test_three_slashes_is_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = parse_url("sqlite:///.runners/sessions.db")
    assert settings.path == tmp_path / ".runners" / "sessions.db"
    assert settings.lock_dir == tmp_path / ".runners" / "sessions.db-locks"


def test_four_slashes_is_absolute(tmp_path: Path) -> None:
    assert parse_url(f"sqlite:///{tmp_path}/a.db").path == tmp_path / "a.db"
    assert parse_url("sqlite:////var/lib/agents/s.db").path == Path("/var/lib/agents/s.db")


def test_home_and_percent_escapes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_url("sqlite:///~/agents/s.db").path == tmp_path / "agents" / "s.db"
    assert parse_url("sqlite:////srv/my%20agents/s.db").path == Path("/srv/my agents/s.db")


def test_options_from_the_url_and_keywords_which_win() -> None:
    settings = parse_url("sqlite:////x/s.db?busy_timeout=2.5&synchronous=FULL&event_cache_mb=0")
    assert (settings.busy_timeout, settings.synchronous, settings.event_cache_mb) == (
        2.5,
        "full",
        0.0,
    )
    assert parse_url("sqlite:////x/s.db?busy_timeout=2", busy_timeout=7).busy_timeout == 7
    defaults = parse_url("sqlite:////x/s.db")
    assert (defaults.busy_timeout, defaults.synchronous) == (DEFAULT_BUSY_TIMEOUT, "normal")


def test_driver_suffix_is_accepted() -> None:
    assert parse_url("sqlite+aiosqlite:////x/s.db").path == Path("/x/s.db")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite://host/s.db", "names a host"),
        ("sqlite://", "names no database file"),
        ("sqlite:///", "names no database file"),
        ("sqlite:////data/", "names no database file"),
        ("postgresql:///x.db", "is not a SQLite URL"),
        ("sqlite:////x/s.db?timeout=3", "unknown SQLite service option 'timeout'"),
        ("sqlite:////x/s.db?busy_timeout=soon", "busy_timeout='soon'"),
        ("sqlite:////x/s.db?busy_timeout=-1", "from 0 to 86400"),
        ("sqlite:////x/s.db?synchronous=off", "use normal"),
        ("sqlite:////x/s.db?event_cache_mb=-5", "0 to turn the cache off"),
        ("sqlite:////x/s.db?event_cache_mb=inf", "it must be a finite number"),
        ("sqlite:////x/s.db?busy_timeout=inf", "it must be a finite number"),
        ("sqlite:////x/s.db?busy_timeout=nan", "it must be a finite number"),
        ("sqlite:////x/s.db?busy_timeout=3000000", "from 0 to 86400"),
    ],
)
def test_bad_urls_say_what_to_write(url: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_url(url)
    assert expected in str(caught.value)


def test_bad_options_fail_when_the_service_is_built() -> None:
    with pytest.raises(ConfigError, match="unknown SQLite service option 'pool_size'"):
        SqliteSessionService("sqlite:////x/s.db?pool_size=3")


async def test_services_accept_a_path_object(tmp_path) -> None:
    from runners_sqlite import SqliteSessionService

    service = SqliteSessionService(tmp_path / "dir with space" / "s.db")
    try:
        await service.create_session(app_name="a", user_id="u", session_id="s")
        assert (tmp_path / "dir with space" / "s.db").exists()
        again = SqliteSessionService(tmp_path / "dir with space" / "s.db", busy_timeout=5)
        try:
            loaded = await again.get_session(app_name="a", user_id="u", session_id="s")
            assert loaded is not None and loaded.id == "s"
        finally:
            await again.close()
    finally:
        await service.close()
