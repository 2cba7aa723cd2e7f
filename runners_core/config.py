"""Configuration: explicit arguments, then environment, then ``[tool.runners_core]``, then defaults.

Each setting is taken whole from the first source that sets it (lists are not
merged), and :class:`Config` remembers which source that was, for
``runners config`` and for error messages.

TOML cannot hold both ``plugins = [...]`` and ``[tool.runners_core.plugins.<name>]``
tables, so when per-plugin settings are present the allow-list is spelled
``enable = [...]`` instead; ``plugins = [...]`` works when there are none.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from runners_core.errors import ConfigError
from runners_core.url_options import MAX_SECONDS

TABLE = "[tool.runners_core]"

ENV_VARS = {
    "plugins": "RUNNERS_CORE_PLUGINS",
    "disable": "RUNNERS_CORE_DISABLE_PLUGINS",
    "session_service": "RUNNERS_CORE_SESSION_SERVICE",
    "memory_service": "RUNNERS_CORE_MEMORY_SERVICE",
    "artifact_service": "RUNNERS_CORE_ARTIFACT_SERVICE",
}


class Settings(BaseModel):
    """The settings of ``[tool.runners_core]``; unknown keys are errors."""

    # Strict: TOML has real booleans and numbers, so strict = "yes" is a mistake to
    # report, not a string to guess at (environment values are converted before).
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    plugins: list[str] | None = Field(
        default=None, description="allow-list of plugin names (default: all installed)"
    )
    disable: list[str] = Field(default_factory=list, description="plugin names not to load")
    required_plugins: list[str] = Field(
        default_factory=list, description="distribution requirements that must load"
    )
    strict: bool = Field(default=False, description="any plugin that fails to load is fatal")
    app_name: str | None = None
    session_service: str | None = None
    memory_service: str | None = None
    artifact_service: str | None = None
    session_busy: Literal["wait", "reject"] = Field(
        default="wait", description="what a run does when its session is busy"
    )
    busy_timeout: float | None = Field(
        default=None,
        ge=0,
        le=MAX_SECONDS,
        allow_inf_nan=False,
        description="seconds to wait for a busy session (None: forever)",
    )


SETTING_NAMES = tuple(Settings.model_fields)


@dataclass
class Config:
    """Effective settings, where each came from, and per-plugin settings."""

    settings: Settings = field(default_factory=Settings)
    sources: dict[str, str] = field(default_factory=dict)
    plugin_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    pyproject: Path | None = None
    # [tool.runners_core.retention], validated by runners_core.retention.RetentionPolicy.
    retention: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        if name in SETTING_NAMES:
            return getattr(self.settings, name)
        raise AttributeError(name)

    def source(self, name: str) -> str:
        return self.sources.get(name, "default")


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` at or above *start* (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def read_pyproject(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The ``[tool.runners_core]`` settings and per-plugin settings of one file."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}; fix the file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {exc.start}); TOML files must be UTF-8, save it so"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"'tool' in {path} must be a table ([tool.runners_core] goes in it)")
    table = tool.get("runners_core", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{TABLE} in {path} must be a table")
    table = dict(table)
    plugin_settings: dict[str, dict[str, Any]] = {}
    plugins_value = table.get("plugins")
    if isinstance(plugins_value, dict):
        del table["plugins"]
        for name, value in plugins_value.items():
            if not isinstance(value, dict):
                raise ConfigError(
                    f"[tool.runners_core.plugins.{name}] in {path} must be a table of settings; "
                    "to list enabled plugins alongside plugin settings, use enable = [...]"
                )
            plugin_settings[name] = value
    if "enable" in table:
        if "plugins" in table:
            raise ConfigError(
                f"{TABLE} in {path} sets both 'plugins' and 'enable'; keep one allow-list"
            )
        table["plugins"] = table.pop("enable")
    return table, plugin_settings


def _retention_table(values: dict[str, Any], path: Path) -> dict[str, Any]:
    table = values.pop("retention", {})
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.runners_core.retention] in {path} must be a table of settings")
    return table


def _check_settings(values: Mapping[str, Any], where: str) -> None:
    """Validate *values* with messages that name the key, the source and the fix."""
    for key in values:
        if key not in SETTING_NAMES:
            close = difflib.get_close_matches(key, SETTING_NAMES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"unknown setting {key!r} in {where}{hint} Known settings: "
                f"{', '.join(SETTING_NAMES)}"
            )
    try:
        Settings.model_validate(values)
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid setting in {where}: {problems}") from None


def _env_values(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, var in ENV_VARS.items():
        if var not in environ:
            continue
        raw = environ[var]
        if key in ("plugins", "disable"):
            values[key] = [name.strip() for name in raw.split(",") if name.strip()]
        elif raw.strip():
            values[key] = raw.strip()
    return values


SERVICE_SETTINGS = ("session_service", "memory_service", "artifact_service")


def _from_file(key: str, value: Any, path: Path | None) -> Any:
    """A file's value as meant: a relative SQLite or file path counts from that file's folder.

    Otherwise running from a subdirectory would silently open a new, empty store.
    Paths from the environment and arguments stay relative to the working directory.
    """
    if key in SERVICE_SETTINGS and isinstance(value, str) and path is not None:
        from runners_core.local_paths import anchor_url

        return anchor_url(value, path.parent)
    return value


def load_config(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    pyproject: Path | None = None,
    search_from: Path | None = None,
) -> Config:
    """Resolve the effective configuration.

    *overrides* are explicit arguments (None values count as unset);
    *pyproject* names the file to read (default: the nearest one above
    *search_from* or the working directory).
    """
    environ = os.environ if environ is None else environ
    path = pyproject or find_pyproject(search_from)
    file_values: dict[str, Any] = {}
    retention: dict[str, Any] = {}
    plugin_settings: dict[str, dict[str, Any]] = {}
    if path is not None:
        file_values, plugin_settings = read_pyproject(path)
        retention = _retention_table(file_values, path)
        _check_settings(file_values, f"{TABLE} of {path}")
    env_values = _env_values(environ)
    _check_settings(env_values, "the environment (RUNNERS_CORE_*)")
    explicit = {k: v for k, v in (overrides or {}).items() if v is not None}
    _check_settings(explicit, "the arguments")

    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in SETTING_NAMES:
        if key in explicit:
            merged[key], sources[key] = explicit[key], "argument"
        elif key in env_values:
            merged[key], sources[key] = env_values[key], f"environment ({ENV_VARS[key]})"
        elif key in file_values:
            merged[key], sources[key] = (
                _from_file(key, file_values[key], path),
                f"pyproject ({path})",
            )
        else:
            sources[key] = "default"
    return Config(
        settings=Settings.model_validate(merged),
        sources=sources,
        plugin_settings=plugin_settings,
        pyproject=path,
        retention=retention,
    )
