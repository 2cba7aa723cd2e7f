"""Kernel log messages on the terminal: warnings once each, everything with ``--debug``."""

from __future__ import annotations

import logging
import sys


class _TerminalHandler(logging.Handler):
    """Writes ``warning: ...`` lines to the current stderr, each distinct message once."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()
        self.debug = False

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message in self.seen and not self.debug:
            return
        self.seen.add(message)
        label = record.levelname.lower()
        line = message if self.debug else " ".join(message.split())
        sys.stderr.write(f"{label}: {line}\n")
        if self.debug and record.exc_info:
            sys.stderr.write(logging.Formatter().formatException(record.exc_info) + "\n")


def configure_logging(debug: bool) -> None:
    """Route the ``runners_core`` loggers to stderr (idempotent; called per invocation)."""
    logger = logging.getLogger("runners_core")
    handler = next((h for h in logger.handlers if isinstance(h, _TerminalHandler)), None)
    if handler is None:
        handler = _TerminalHandler()
        logger.addHandler(handler)
        logger.propagate = False
    handler.seen.clear()
    handler.debug = debug
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
