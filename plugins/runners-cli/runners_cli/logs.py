"""Kernel log messages on the terminal: warnings once each, everything with ``--debug``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable


class _TerminalHandler(logging.Handler):
    """Writes ``warning: ...`` lines to the current stderr, each distinct message once."""

    def __init__(self, debug: bool) -> None:
        super().__init__(logging.DEBUG if debug else logging.WARNING)
        self.seen: set[str] = set()
        self.debug = debug

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message in self.seen and not self.debug:
            return  # e.g. a broken plugin, reported by each load_plugins call
        self.seen.add(message)
        label = record.levelname.lower()
        line = message if self.debug else " ".join(message.split())
        sys.stderr.write(f"{label}: {line}\n")
        if self.debug and record.exc_info:
            sys.stderr.write(logging.Formatter().formatException(record.exc_info) + "\n")


def configure_logging(debug: bool) -> Callable[[], None]:
    """Show ``runners_core`` log records on stderr for one command; returns the undo.

    The logger's own settings are restored afterwards, so running the command
    in-process (tests, other tools) leaves logging as it found it.
    """
    logger = logging.getLogger("runners_core")
    handler = _TerminalHandler(debug)
    previous_level = logger.level
    logger.addHandler(handler)
    if debug:
        logger.setLevel(logging.DEBUG)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)

    return undo
