"""Loading agents by reference, with the same rules and messages as ``runners run``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runners_core.agents.base_agent import BaseAgent


def load_agent(reference: str) -> BaseAgent:
    """The agent *reference* names (``path/to/file.py:attr`` or ``package.module:attr``)."""
    from runners_cli.agent_ref import load_agent as load
    from runners_cli.errors import CliError

    from runners_core.errors import ConfigError

    try:
        return load(reference)
    except CliError as exc:
        raise ConfigError(str(exc)) from exc
