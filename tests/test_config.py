"""Configuration precedence, sources and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from runners_core import BaseAgent, Runner, load_config
from runners_core.errors import ConfigError, UnknownSchemeError


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_defaults_without_any_source(tmp_path):
    config = load_config(environ={}, search_from=tmp_path / "nowhere")
    assert config.plugins is None and config.disable == []
    assert config.session_service is None and config.session_busy == "wait"
    assert config.source("session_service") == "default"


def test_precedence_argument_env_pyproject_default(tmp_path):
    pyproject = write(
        tmp_path / "pyproject.toml",
        '[tool.runners_core]\nsession_service = "memory://"\nmemory_service = "memory://"\n'
        'artifact_service = "memory://"\ndisable = ["a", "b"]\n',
    )
    environ = {
        "RUNNERS_CORE_MEMORY_SERVICE": "sqlite:///env.db",
        "RUNNERS_CORE_DISABLE_PLUGINS": "c",
        "RUNNERS_CORE_ARTIFACT_SERVICE": "sqlite:///env-art.db",
    }
    config = load_config(
        {"artifact_service": "sqlite:///arg.db"}, environ=environ, pyproject=pyproject
    )
    assert config.session_service == "memory://"
    assert config.source("session_service") == f"pyproject ({pyproject})"
    assert config.memory_service == "sqlite:///env.db"
    assert config.source("memory_service") == "environment (RUNNERS_CORE_MEMORY_SERVICE)"
    assert config.artifact_service == "sqlite:///arg.db"
    assert config.source("artifact_service") == "argument"
    # Lists are taken whole from one source, never merged.
    assert config.disable == ["c"]


def test_pyproject_is_found_upwards(tmp_path, monkeypatch):
    write(tmp_path / "pyproject.toml", '[tool.runners_core]\napp_name = "found"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert load_config(environ={}).app_name == "found"


def test_unknown_key_suggests_the_right_one(tmp_path):
    pyproject = write(tmp_path / "pyproject.toml", '[tool.runners_core]\nplugin = ["x"]\n')
    with pytest.raises(ConfigError, match="unknown setting 'plugin'.*did you mean 'plugins'"):
        load_config(environ={}, pyproject=pyproject)


def test_wrong_types_name_the_setting(tmp_path):
    pyproject = write(tmp_path / "pyproject.toml", '[tool.runners_core]\ndisable = "noisy"\n')
    with pytest.raises(ConfigError, match=r"invalid setting in \[tool.runners_core\].*disable"):
        load_config(environ={}, pyproject=pyproject)
    pyproject = write(tmp_path / "pyproject.toml", '[tool.runners_core]\nsession_busy = "spin"\n')
    with pytest.raises(ConfigError, match="session_busy"):
        load_config(environ={}, pyproject=pyproject)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('strict = "yes"', "strict"),
        ("strict = 1", "strict"),
        ("busy_timeout = inf", "busy_timeout.*finite"),
        ("busy_timeout = nan", "busy_timeout.*finite"),
        ("busy_timeout = 3000000", "busy_timeout.*less than or equal"),
        ("busy_timeout = -1", "busy_timeout"),
        ('app_name = ["a"]', "app_name"),
    ],
)
def test_values_toml_does_not_mean_are_refused(tmp_path, body, expected):
    pyproject = write(tmp_path / "pyproject.toml", f"[tool.runners_core]\n{body}\n")
    with pytest.raises(ConfigError, match=expected):
        load_config(environ={}, pyproject=pyproject)


def test_a_tool_key_that_is_not_a_table_is_named(tmp_path):
    pyproject = write(tmp_path / "pyproject.toml", 'tool = "x"\n')
    with pytest.raises(ConfigError, match="'tool' in .* must be a table"):
        load_config(environ={}, pyproject=pyproject)


def test_a_pyproject_that_is_not_utf8_is_named(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(b'[tool.runners_core]\napp_name = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="is not UTF-8") as info:
        load_config(environ={}, pyproject=pyproject)
    assert str(pyproject) in str(info.value)


def test_malformed_toml_names_the_file(tmp_path):
    pyproject = write(tmp_path / "pyproject.toml", "[tool.runners_core\nplugins = [")
    with pytest.raises(ConfigError, match="is not valid TOML") as info:
        load_config(environ={}, pyproject=pyproject)
    assert str(pyproject) in str(info.value)


def test_plugin_settings_tables_and_enable_list(tmp_path):
    pyproject = write(
        tmp_path / "pyproject.toml",
        '[tool.runners_core]\nenable = ["redact"]\n\n'
        '[tool.runners_core.plugins.redact]\npatterns = ["\\\\d{16}"]\n',
    )
    config = load_config(environ={}, pyproject=pyproject)
    assert config.plugins == ["redact"]
    assert config.plugin_settings == {"redact": {"patterns": ["\\d{16}"]}}


def test_enable_and_plugins_list_together_is_an_error(tmp_path):
    pyproject = write(
        tmp_path / "pyproject.toml", '[tool.runners_core]\nenable = ["a"]\nplugins = ["b"]\n'
    )
    with pytest.raises(ConfigError, match="both 'plugins' and 'enable'"):
        load_config(environ={}, pyproject=pyproject)


def test_plugin_settings_must_be_tables(tmp_path):
    pyproject = write(tmp_path / "pyproject.toml", "[tool.runners_core.plugins]\nredact = 1\n")
    with pytest.raises(ConfigError, match="must be a table of settings"):
        load_config(environ={}, pyproject=pyproject)


class Quiet(BaseAgent):
    async def _run_async_impl(self, ctx):
        yield ctx.event("ok")


async def test_from_config_uses_configured_services(tmp_path, monkeypatch):
    write(
        tmp_path / "work" / "pyproject.toml",
        '[tool.runners_core]\napp_name = "cfgapp"\nsession_busy = "reject"\n',
    )
    runner = Runner.from_config(Quiet(name="quiet"))
    assert runner.app_name == "cfgapp" and runner.session_busy == "reject"
    assert type(runner.session_service).__name__ == "InMemorySessionService"
    assert runner.memory_service is not None and runner.artifact_service is not None
    await runner.close()


def test_from_config_unknown_scheme_is_clear(monkeypatch):
    monkeypatch.setenv("RUNNERS_CORE_SESSION_SERVICE", "mongodb://u:secret@h/db")
    with pytest.raises(UnknownSchemeError, match="no installed plugin provides session") as info:
        Runner.from_config(Quiet(name="quiet"))
    assert "secret" not in str(info.value)


async def test_from_config_string_argument_wins_over_given_config():
    config = load_config({"session_service": "memory://"}, environ={})
    runner = Runner.from_config(
        Quiet(name="quiet"), config=config, session_service="memory://", app_name="x"
    )
    assert runner.app_name == "x"
    with pytest.raises(UnknownSchemeError):
        Runner.from_config(Quiet(name="quiet"), config=config, session_service="nope://")
    await runner.close()


def test_relative_local_paths_in_the_file_count_from_its_folder(tmp_path):
    (tmp_path / "proj").mkdir()
    pyproject = write(
        tmp_path / "proj" / "pyproject.toml",
        "[tool.runners_core]\n"
        'session_service = "sqlite:///data/s.db?busy_timeout=5"\n'
        'memory_service = "sqlite:///:memory:"\n'
        'artifact_service = "file://blobs"\n',
    )
    folder = pyproject.parent.resolve()
    config = load_config(environ={}, pyproject=pyproject)
    assert config.session_service == f"sqlite:///{folder}/data/s.db?busy_timeout=5"
    assert config.memory_service == "sqlite:///:memory:"
    assert config.artifact_service == f"file://{folder}/blobs"
    for url in ("sqlite:////abs/s.db", "sqlite:///~/s.db", "file:///abs", "memory://"):
        written = write(pyproject, f'[tool.runners_core]\nsession_service = "{url}"\n')
        assert load_config(environ={}, pyproject=written).session_service == url
    from_env = load_config(
        environ={"RUNNERS_CORE_SESSION_SERVICE": "sqlite:///here.db"}, pyproject=pyproject
    )
    assert from_env.session_service == "sqlite:///here.db"


def test_busy_timeout_limit_is_2147483_seconds_and_errors_name_the_file(tmp_path):
    """docs/configuration.md: finite, at most 2147483; errors name the setting and the file."""
    pyproject = write(tmp_path / "pyproject.toml", "[tool.runners_core]\nbusy_timeout = 2147483\n")
    assert load_config(environ={}, pyproject=pyproject).busy_timeout == 2147483
    pyproject = write(tmp_path / "pyproject.toml", "[tool.runners_core]\nbusy_timeout = 2147484\n")
    with pytest.raises(ConfigError, match="busy_timeout") as info:
        load_config(environ={}, pyproject=pyproject)
    assert str(pyproject) in str(info.value)
    pyproject = write(tmp_path / "pyproject.toml", '[tool.runners_core]\nstrict = "yes"\n')
    with pytest.raises(ConfigError, match="strict") as info:
        load_config(environ={}, pyproject=pyproject)
    assert str(pyproject) in str(info.value)


def test_malformed_toml_gives_the_position(tmp_path):
    pyproject = write(tmp_path / "pyproject.toml", 'x = 1\n[tool.runners_core\nplugins = ["a"]\n')
    with pytest.raises(ConfigError, match=r"at line 2, column \d+"):
        load_config(environ={}, pyproject=pyproject)


def test_plugin_lists_from_the_environment_are_comma_lists(tmp_path):
    nowhere = tmp_path / "nowhere"
    environ = {"RUNNERS_CORE_PLUGINS": "sqlite, redact", "RUNNERS_CORE_DISABLE_PLUGINS": "a,b"}
    config = load_config(environ=environ, search_from=nowhere)
    assert config.plugins == ["sqlite", "redact"] and config.disable == ["a", "b"]
    assert load_config(environ={"RUNNERS_CORE_PLUGINS": ""}, search_from=nowhere).plugins == []


@pytest.mark.parametrize(
    ("setting", "refused", "accepted"),
    [
        ("session_idle_days", 0, 0.5),
        ("max_events_per_session", 0, 1),
        ("artifact_versions", 0, 1),
        ("memory_days", 0, 0.5),
        ("batch_size", 0, 1),
        ("batch_size", 10001, 10000),
        ("trimmed_events", "archive", "memory"),
    ],
)
def test_retention_settings_ranges(setting, refused, accepted):
    from runners_core.retention import RetentionPolicy

    assert getattr(RetentionPolicy.parse({setting: accepted}), setting) == accepted
    with pytest.raises(ConfigError, match=rf"retention\] is invalid: {setting}"):
        RetentionPolicy.parse({setting: refused})
    defaults = RetentionPolicy.parse({})
    assert defaults.batch_size == 200 and defaults.trimmed_events == "drop"
    assert defaults.session_idle_days is None and defaults.memory_days is None
