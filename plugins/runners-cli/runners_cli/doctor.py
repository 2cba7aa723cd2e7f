"""``runners config`` / ``runners doctor``: effective settings, their sources, backend checks."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from runners_cli.errors import EXIT_ERROR, CliState, one_line, print_error

if TYPE_CHECKING:
    from runners_cli.services import ServiceChoice
    from runners_core.plugins.manager import LoadedPlugins

PROBE_APP = "runners-doctor"
PROBE_USER = "runners-doctor"
PROBE_TIMEOUT = 10.0


@dataclass
class Check:
    kind: str
    url: str
    ok: bool
    detail: str


def redact_value(name: str, value: Any) -> Any:
    """*value* fit for display: URL passwords and secret-looking settings hidden."""
    from runners_core.redaction import MASK, is_secret_name, redact

    if isinstance(value, str):
        return MASK if is_secret_name(name) else redact(value)
    if isinstance(value, list):
        return [redact_value(name, item) for item in value]
    if isinstance(value, dict):
        return {key: redact_value(str(key), item) for key, item in value.items()}
    return value


async def _probe(kind: str, service: Any, app_name: str) -> None:
    if kind == "session":
        await service.list_sessions(app_name=app_name, page_size=1)
    elif kind == "memory":
        await service.search_memory(app_name=app_name, user_id=PROBE_USER, query="runners")
    else:
        await service.list_artifact_keys(app_name=app_name, user_id=PROBE_USER)


async def check_backend(
    choice: ServiceChoice, loaded: LoadedPlugins, app_name: str, state: CliState
) -> Check:
    """Build the service for *choice* and make one cheap call on it.

    A local store that does not exist yet is not created (doctor only reads):
    the check says whether the first run will be able to create it.
    """
    from runners_cli.services import build_service, missing_store
    from runners_core.redaction import redact_url

    shown = redact_url(choice.url)
    missing = missing_store(choice)
    if missing is not None:
        return _creatable(choice.kind, shown, missing)
    try:
        service = build_service(choice, loaded)
    except Exception as exc:
        return Check(choice.kind, shown, False, state.scrub(f"cannot be built: {_describe(exc)}"))
    try:
        await asyncio.wait_for(_probe(choice.kind, service, app_name), PROBE_TIMEOUT)
    except TimeoutError:
        return Check(
            choice.kind,
            shown,
            False,
            f"no answer within {PROBE_TIMEOUT:g}s; check that the server is running and "
            "reachable from here",
        )
    except Exception as exc:
        from runners_core.errors import RunnersError

        # Backend errors already say what to do; driver errors get the generic advice.
        hint = (
            ""
            if isinstance(exc, RunnersError)
            else "; check that the server is running and the URL (host, port, database, "
            "credentials) is right"
        )
        return Check(choice.kind, shown, False, state.scrub(f"unreachable: {_describe(exc)}{hint}"))
    finally:
        try:
            await service.close()
        except Exception:  # a failing close says nothing new about reachability
            pass
    return Check(choice.kind, shown, True, "reachable")


def _creatable(kind: str, shown: str, path: Path) -> Check:
    """Whether the first run can create *path* (its nearest existing folder is writable)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
        return Check(kind, shown, True, f"not created yet; the first run creates {path}")
    return Check(
        kind,
        shown,
        False,
        f"{path} does not exist and cannot be created ({folder} is not a writable folder); "
        "fix the permissions or point the URL elsewhere",
    )


def _describe(exc: BaseException) -> str:
    from runners_core.errors import RunnersError

    text = one_line(str(exc))
    return text if isinstance(exc, RunnersError) else f"{type(exc).__name__}: {text}"


def report_config(*, check: bool, as_json: bool, state: CliState) -> int:
    from runners_cli.services import choose_services
    from runners_core.config import SETTING_NAMES, load_config
    from runners_core.plugins.manager import load_plugins

    config = load_config()
    state.watch_urls([config.session_service, config.memory_service, config.artifact_service])
    # Never fatal here: a plugin problem is reported after the configuration.
    loaded = load_plugins(config, enforce=False)
    choices = choose_services(config, loaded)
    settings = []
    for name in SETTING_NAMES:
        choice = choices.get(name.removesuffix("_service"))  # type: ignore[call-overload]
        if choice is not None:
            settings.append((name, redact_value(name, choice.url), choice.source))
        else:
            settings.append((name, redact_value(name, getattr(config, name)), config.source(name)))
    plugin_settings = {
        name: redact_value(name, values) for name, values in config.plugin_settings.items()
    }
    checks: list[Check] = []
    if check:
        app_name = config.app_name or PROBE_APP
        checks = asyncio.run(_check_all(list(choices.values()), loaded, app_name, state))

    if as_json:
        payload = {
            "pyproject": str(config.pyproject) if config.pyproject else None,
            "settings": {n: {"value": v, "source": s} for n, v, s in settings},
            "plugin_settings": plugin_settings,
            "checks": [vars(c) for c in checks],
        }
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
    else:
        _print(config.pyproject, settings, plugin_settings, checks)
    problems = [c for c in checks if not c.ok]
    for problem in problems:
        print_error(f"{problem.kind} service {problem.url}: {problem.detail}")
    if loaded.problem:
        print_error(loaded.problem)
    return EXIT_ERROR if problems or loaded.problem else 0


async def _check_all(
    choices: list[ServiceChoice], loaded: LoadedPlugins, app_name: str, state: CliState
) -> list[Check]:
    return [await check_backend(choice, loaded, app_name, state) for choice in choices]


def _print(
    pyproject: Any,
    settings: list[tuple[str, Any, str]],
    plugin_settings: dict[str, Any],
    checks: list[Check],
) -> None:
    console = Console(highlight=False)
    console.print(
        Text(f"configuration file: {pyproject or 'none found (defaults apply)'}", "dim"),
        soft_wrap=True,
    )
    table = Table(title="effective settings", title_justify="left")
    table.add_column("setting")
    table.add_column("value", overflow="fold")
    table.add_column("source", overflow="fold")
    # Cells are Text, never markup strings: '[tool.runners_core.plugins.x]' and URLs
    # with brackets must show as written.
    for name, value, source in settings:
        shown = "-" if value is None else json.dumps(value) if not isinstance(value, str) else value
        table.add_row(
            Text(name), Text(shown), Text(source, "dim" if source == "default" else "cyan")
        )
    console.print(table)
    if plugin_settings:
        plugins = Table(title="plugin settings", title_justify="left")
        plugins.add_column("table")
        plugins.add_column("settings", overflow="fold")
        for name, values in plugin_settings.items():
            plugins.add_row(Text(f"[tool.runners_core.plugins.{name}]"), Text(json.dumps(values)))
        console.print(plugins)
    if checks:
        table = Table(title="backends", title_justify="left")
        table.add_column("kind")
        table.add_column("url", overflow="fold")
        table.add_column("status", overflow="fold")
        for item in checks:
            if item.ok:
                status = Text("ok" if item.detail == "reachable" else f"ok: {item.detail}", "green")
            else:
                status = Text(f"problem: {item.detail}", "red")
            table.add_row(Text(item.kind), Text(item.url), status)
        console.print(table)
