"""Turning failures into one-line messages and exit codes.

Every command body runs inside :func:`reported_errors`: expected problems
(bad input, configuration, backends) become ``error: <problem>; <fix>`` on
stderr and a non-zero exit; the traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NoReturn

import typer

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A problem with what the user asked for; the message names it and the fix."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class CliState:
    """Per-invocation state shared by the root callback and the commands (``ctx.obj``)."""

    debug: bool = False
    secrets: set[str] = field(default_factory=set)

    def watch_urls(self, urls: Iterable[str | None]) -> None:
        """Remember the passwords in *urls*, so no error message can leak them."""
        from runners_core.redaction import secrets_in

        self.secrets.update(secrets_in(*urls))

    def scrub(self, text: str) -> str:
        from runners_core.redaction import redact

        return redact(text, self.secrets)


def cli_state(ctx: typer.Context | None) -> CliState:
    """The :class:`CliState` of this invocation (created on first use)."""
    if ctx is None:
        return CliState()
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def one_line(text: str) -> str:
    return " ".join(text.split())


def print_error(message: str) -> None:
    sys.stderr.write(f"error: {one_line(message)}\n")
    sys.stderr.flush()


def print_warning(message: str) -> None:
    sys.stderr.write(f"warning: {one_line(message)}\n")
    sys.stderr.flush()


@contextmanager
def reported_errors(ctx: typer.Context | None, debug: bool = False) -> Iterator[CliState]:
    """Run a command body, reporting failures as one line (tracebacks with ``--debug``)."""
    state = cli_state(ctx)
    state.debug = state.debug or debug
    try:
        yield state
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:
        print_error("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        report_exception(exc, state)
        raise typer.Exit(exc.exit_code if isinstance(exc, CliError) else EXIT_ERROR) from None


def report_exception(exc: BaseException, state: CliState) -> None:
    """One ``error:`` line for *exc* (after its traceback with ``--debug``), secrets scrubbed.

    Our own errors already name the problem and the fix; anything else is shown
    with its type, since it may be a bug or a driver's error.
    """
    from runners_core.errors import RunnersError

    if state.debug:
        sys.stderr.write(state.scrub("".join(traceback.format_exception(exc))))
    if isinstance(exc, CliError | RunnersError):
        print_error(state.scrub(str(exc)))
        return
    hint = "" if state.debug else "; rerun with --debug to see the traceback"
    print_error(state.scrub(f"{type(exc).__name__}: {exc}{hint}"))


def finish_command(ctx: typer.Context, debug: bool, body: Callable[[CliState], int]) -> NoReturn:
    """Run a command's *body* with its errors reported, then exit with the code it returns."""
    with reported_errors(ctx, debug) as state:
        code = body(state)
    raise typer.Exit(code)
