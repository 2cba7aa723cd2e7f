"""``runners plugins``: what was discovered, what loaded, what did not and why.

Listing must work when the configuration would make a failure fatal (a broken
plugin in ``required_plugins``, strict mode): the plugins are loaded leniently
for the report, and the fatal condition is reported afterwards with exit code 1.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from runners_cli.errors import EXIT_ERROR, print_error, print_warning

if TYPE_CHECKING:
    from runners_core.plugins.manager import LoadedPlugins, PluginRecord

STATE_STYLES = {"enabled": "green", "disabled": "yellow", "failed": "bold red"}


def record_json(record: PluginRecord, *, with_traceback: bool) -> dict[str, Any]:
    data = asdict(record)
    if not with_traceback:
        data.pop("traceback", None)
    return data


def report_plugins(*, as_json: bool, debug: bool) -> int:
    from runners_core.config import load_config
    from runners_core.plugins.manager import load_plugins
    from runners_core.plugins.registry import conflict_message

    # Never fatal here: this command exists to show what is wrong with plugins.
    loaded = load_plugins(load_config(), enforce=False)
    records = loaded.records
    _check_commands(loaded)
    if as_json:
        payload = [record_json(r, with_traceback=debug) for r in records]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        _print_table(records, debug=debug)
    conflicts = loaded.registry.conflicts()
    for (kind, scheme), claimants in conflicts.items():
        print_error(conflict_message(kind, scheme, claimants))
    if loaded.problem:
        print_error(loaded.problem)
    return EXIT_ERROR if conflicts or loaded.problem else 0


def _check_commands(loaded: LoadedPlugins) -> None:
    """Run ``register_commands`` on a scratch app: a failure there is reported, not fatal.

    The plugin stays enabled (its other hooks work); the reason says its commands are
    missing and why.
    """
    import typer

    by_name = {r.name: r for r in loaded.records}
    for failure in loaded.hooks.register_commands(typer.Typer()):
        record = by_name.get(failure.plugin)
        note = f"its commands are unavailable: {type(failure.error).__name__}: {failure.error}"
        if record is not None:
            record.reason = f"{record.reason}; {note}" if record.reason else note
        print_warning(str(failure))


def _schemes(record: PluginRecord) -> str:
    return "\n".join(
        f"{kind}: {', '.join(s + '://' for s in schemes)}"
        for kind, schemes in sorted(record.schemes.items())
    )


def _print_table(records: list[PluginRecord], *, debug: bool) -> None:
    console = Console(highlight=False)
    table = Table(title="runners plugins", title_justify="left", show_lines=True)
    longest_hook = max((len(hook) for r in records for hook in r.hooks), default=5)
    for column in ("plugin", "distribution", "state"):
        table.add_column(column, overflow="fold")
    # A hook name is one word to search for: never split it; the other columns give way.
    table.add_column("hooks", no_wrap=True, min_width=longest_hook)
    table.add_column("schemes", overflow="fold")
    for record in records:
        state = Text(record.state, STATE_STYLES.get(record.state, ""))
        if record.reason:
            state.append(f"\n{record.reason}", "dim" if record.state != "failed" else "red")
        # Text cells, not markup strings: names and reasons may contain [brackets].
        table.add_row(
            Text(record.name),
            Text(f"{record.distribution} {record.version or ''}".strip()),
            state,
            Text("\n".join(record.hooks)),
            Text(_schemes(record)),
        )
    console.print(table)
    for record in records:
        if record.state != "failed":
            continue
        if debug and record.traceback:
            console.print(Text(f"\n{record.name}: traceback", "bold red"))
            console.print(Text(record.traceback))
    failed = [r.name for r in records if r.state == "failed"]
    if failed:
        console.print(
            Text(
                f"{len(failed)} plugin(s) failed to load: {', '.join(failed)}. The others work; "
                f"disable a broken one with RUNNERS_CORE_DISABLE_PLUGINS={failed[0]} or "
                "disable = [...] in [tool.runners_core], and use --debug for tracebacks.",
                "yellow",
            ),
            soft_wrap=True,
        )
