"""The top-level command group, which adds plugins' subcommands only when needed.

Plugins add subcommands through the ``register_commands(cli)`` hook. Loading
plugins costs time (and a broken one prints a warning), so the group loads
them only when the command line names a command that is not built in, or when
the full command list is wanted (``runners --help``, shell completion).
``runners run ...`` and the other built-in commands never wait for it here.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from runners_cli.errors import print_warning


def plugin_commands(disabled: list[str] | None = None) -> dict[str, Any]:
    """The click commands installed plugins add through ``register_commands``.

    *disabled*, when given, receives the name of each installed plugin the configuration
    disables: one of them may be what provides an unknown command.
    """
    from runners_core.errors import RunnersError
    from runners_core.plugins.manager import load_plugins

    try:
        loaded = load_plugins()
    except RunnersError as exc:
        print_warning(f"plugin subcommands are unavailable: {exc}")
        return {}
    if disabled is not None:
        disabled.extend(
            r.name for r in loaded.records if r.state == "disabled" and r.origin == "entry point"
        )
    if not loaded.hooks.implementations("register_commands"):
        return {}
    # Plain help like the built-in commands (no rich boxes), whatever the plugin uses.
    extra = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
    for failure in loaded.hooks.register_commands(extra):
        print_warning(str(failure))
    if not (extra.registered_commands or extra.registered_groups):
        return {}
    return dict(typer.main.get_group(extra).commands)


class PluginCommandsGroup(TyperGroup):
    """A typer group whose plugin subcommands are added on first need."""

    _plugins_added = False
    _disabled_plugins: list[str]

    def _add_plugin_commands(self) -> None:
        if self._plugins_added:
            return
        self._plugins_added = True
        self._disabled_plugins = []
        for name, command in plugin_commands(self._disabled_plugins).items():
            if name in self.commands:
                print_warning(
                    f"a plugin's command {name!r} is ignored: 'runners {name}' is built in; "
                    "rename the plugin's command"
                )
                continue
            self.commands[name] = command

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._add_plugin_commands()
            command = super().get_command(ctx, cmd_name)
            if command is None and self._disabled_plugins:
                # e.g. 'runners serve' with enable = ["sqlite"]: the server plugin is off.
                print_warning(
                    f"'runners {cmd_name}' is not built in and no enabled plugin adds it; "
                    "installed but disabled by the configuration: "
                    f"{', '.join(self._disabled_plugins)} ('runners plugins' says why); if one "
                    "of them provides it, enable it (add it to enable = [...] in "
                    "[tool.runners_core], or to RUNNERS_CORE_PLUGINS)"
                )
        return command

    def list_commands(self, ctx: Any) -> list[str]:
        self._add_plugin_commands()
        return super().list_commands(ctx)


def subcommand_group(help: str) -> typer.Typer:
    """A group of subcommands (``runners sessions``, ``runners plugin``) with the root's style."""
    return typer.Typer(
        help=help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
