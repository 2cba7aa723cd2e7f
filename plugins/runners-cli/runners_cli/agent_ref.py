"""Resolving the AGENT argument: ``path/to/file.py:attr`` or ``package.module:attr``."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from runners_cli.errors import CliError

if TYPE_CHECKING:
    from runners_core.agents.base_agent import BaseAgent

DEFAULT_ATTRIBUTE = "root_agent"
FORMS = "write it as path/to/file.py:attr or package.module:attr"


def split_reference(reference: str) -> tuple[str, str]:
    """``(module or file, attribute)``; the attribute defaults to ``root_agent``."""
    target, colon, attribute = reference.rpartition(":")
    if not colon:
        target, attribute = reference, DEFAULT_ATTRIBUTE
    # "C:\\agents\\a.py" without an attribute: the colon belongs to the drive.
    if len(target) == 1 and target.isalpha() and ("\\" in attribute or "/" in attribute):
        target, attribute = reference, DEFAULT_ATTRIBUTE
    if not target or not attribute:
        raise CliError(f"agent reference {reference!r} is incomplete; {FORMS}")
    if not attribute.isidentifier():
        raise CliError(
            f"agent reference {reference!r}: {attribute!r} is not a Python name; {FORMS}"
        )
    return target, attribute


def _is_path(target: str) -> bool:
    return target.endswith(".py") or "/" in target or "\\" in target


def _import_file(target: str) -> ModuleType:
    path = Path(target).expanduser()
    if not path.is_file():
        raise CliError(
            f"agent file {target} does not exist (looked in {Path.cwd()}); check the path, "
            f"or {FORMS}"
        )
    path = path.resolve()
    # Like `python file.py`: the file's folder comes first, so sibling modules import.
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = f"runners_agent_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CliError(f"cannot load {target} as Python source; {FORMS}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise CliError(
            f"importing {target} failed: {type(exc).__name__}: {exc}; fix the file "
            "(rerun with --debug to see the traceback)"
        ) from exc
    return module


def _import_module(target: str) -> ModuleType:
    # Like `python -m`: modules in the working directory are importable.
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        if exc.name and target.startswith(exc.name):
            raise CliError(
                f"no module named {exc.name!r} (from agent reference {target!r}); check the "
                "spelling, run from the folder that contains it, or give a file path "
                "(path/to/file.py:attr)"
            ) from exc
        raise CliError(
            f"importing {target} failed: {exc}; install the missing package "
            "(rerun with --debug to see the traceback)"
        ) from exc
    except Exception as exc:
        raise CliError(
            f"importing {target} failed: {type(exc).__name__}: {exc}; fix the module "
            "(rerun with --debug to see the traceback)"
        ) from exc


def _agents_in(module: ModuleType) -> list[str]:
    from runners_core.agents.base_agent import BaseAgent

    return sorted(
        name
        for name, value in vars(module).items()
        if isinstance(value, BaseAgent) and not name.startswith("_")
    )


def load_agent(
    reference: str, adapt: Callable[[object], BaseAgent | None] | None = None
) -> BaseAgent:
    """The agent *reference* names: a ``BaseAgent``, or a callable returning one.

    *adapt* (the plugins' ``adapt_agent`` hook) turns another framework's agent object,
    such as a google.adk agent with runners-adk installed, into a ``BaseAgent``.
    """
    from runners_core.agents.base_agent import BaseAgent

    def as_agent(value: Any) -> BaseAgent | None:
        if isinstance(value, BaseAgent):
            return value
        return adapt(value) if adapt is not None else None

    target, attribute = split_reference(reference)
    module = _import_file(target) if _is_path(target) else _import_module(target)
    if not hasattr(module, attribute):
        found = _agents_in(module)
        hint = (
            f"agents it defines: {', '.join(found)}"
            if found
            else "it defines no BaseAgent at module level"
        )
        raise CliError(
            f"{target} has no attribute {attribute!r} ({hint}); write {target}:NAME with "
            "the name of your agent"
        )
    value: Any = getattr(module, attribute)
    if (agent := as_agent(value)) is not None:
        return agent
    if callable(value) and not isinstance(value, type):
        try:
            value = value()
        except Exception as exc:
            raise CliError(
                f"calling {target}:{attribute}() to build the agent failed: "
                f"{type(exc).__name__}: {exc} (rerun with --debug to see the traceback)"
            ) from exc
        if (agent := as_agent(value)) is not None:
            return agent
        raise CliError(
            f"{target}:{attribute}() returned a {type(value).__name__}, not a "
            "runners_core.BaseAgent; return an agent instance"
        )
    if isinstance(value, type):
        raise CliError(
            f"{target}:{attribute} is the class {value.__name__}, not an agent instance; "
            f"create one at module level (root_agent = {value.__name__}(name=...)) and point "
            "at it"
        )
    raise CliError(
        f"{target}:{attribute} is a {type(value).__name__}, not a runners_core.BaseAgent "
        "(or a function returning one); point at an agent instance such as root_agent"
    )
