"""``runners plugin new NAME``: a plugin package that installs and passes its tests as generated.

The files come from ``templates/plugin/*.tmpl`` (``string.Template``: ``$name``,
``$dist``, ``$package``, ``$scheme``, ``$classname``, ``$description``). A hook
plugin gets a ``Plugin`` class with one example hook; ``--backend`` gets a
working session service (dictionaries standing in for storage, one primitive
per method) and a test module running the conformance kit against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from runners_cli.errors import CliError

NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")


@dataclass(frozen=True)
class PluginNames:
    """Every name the package uses, derived from the plugin's handle."""

    name: str  # the entry-point name: the plugin's handle in enable/disable lists
    dist: str  # the distribution (pip install ...)
    package: str  # the import package
    scheme: str  # the URL scheme of a backend
    classname: str

    @classmethod
    def of(cls, raw: str) -> PluginNames:
        if not NAME.fullmatch(raw):
            raise CliError(
                f"plugin name {raw!r} is not usable: use lowercase letters, digits and single "
                "'-' or '_' between them, starting with a letter (e.g. 'audit' or 'acme-store')"
            )
        base = raw.removeprefix("runners-").removeprefix("runners_") or raw
        dist = f"runners-{base.replace('_', '-')}"
        return cls(
            name=base,
            dist=dist,
            package=dist.replace("-", "_"),
            scheme=base.replace("_", "-"),
            classname="".join(part.capitalize() for part in re.split(r"[-_]", base)),
        )


def _files(names: PluginNames, backend: bool) -> dict[str, str | None]:
    """Target path (relative to the package folder) -> template file name."""
    package, tests, slug = names.package, "tests", names.name.replace("-", "_")
    files: dict[str, str | None] = {
        "pyproject.toml": "pyproject.toml.tmpl",
        "README.md": "README.md.tmpl",
        f"{package}/__init__.py": None,
        f"{package}/py.typed": None,
    }
    if backend:
        files[f"{package}/plugin.py"] = "backend_plugin.py.tmpl"
        files[f"{package}/sessions.py"] = "sessions.py.tmpl"
        files[f"{tests}/test_{slug}_conformance.py"] = "test_backend_plugin.py.tmpl"
    else:
        files[f"{package}/plugin.py"] = "hook_plugin.py.tmpl"
        files[f"{tests}/test_{slug}_plugin.py"] = "test_hook_plugin.py.tmpl"
    return files


def _values(names: PluginNames, backend: bool) -> dict[str, str]:
    if backend:
        description = f"A runners-core session backend for {names.scheme}:// URLs."
        usage = (
            "\nSelect it by URL in the project that uses it:\n\n"
            f'```toml\n[tool.runners_core]\nsession_service = "{names.scheme}://"\n```\n'
        )
    else:
        description = f"A runners-core hook plugin: {names.name}."
        usage = (
            "\nSettings go in the project that uses it (they are Plugin's keyword arguments):\n\n"
            f'```toml\n[tool.runners_core.plugins.{names.name}]\ntag = "mine"\n```\n'
        )
    return {**vars(names), "description": description, "usage": usage}


def render_plugin(names: PluginNames, *, backend: bool) -> dict[str, str]:
    """The generated files' text by relative path."""
    templates = resources.files("runners_cli") / "templates" / "plugin"
    values = _values(names, backend)
    rendered: dict[str, str] = {}
    for target, template in _files(names, backend).items():
        if template is None:
            text = (
                f'"""The {names.name} plugin for runners-core."""\n'
                if target.endswith("__init__.py")
                else ""
            )
        else:
            text = Template((templates / template).read_text(encoding="utf-8")).substitute(values)
        rendered[target] = text
    return rendered


def new_plugin(raw_name: str, *, backend: bool, directory: Path | None) -> int:
    """Write the package; refuses to touch an existing non-empty folder."""
    from rich.console import Console
    from rich.text import Text

    names = PluginNames.of(raw_name)
    folder = directory if directory is not None else Path(names.dist)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise CliError(
            f"{folder} already exists and is not an empty folder; nothing was written. "
            "Choose another --directory or remove it"
        )
    files = render_plugin(names, backend=backend)
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    console = Console(highlight=False)
    kind = f"session backend for {names.scheme}://" if backend else "hook plugin"
    console.print(Text(f"created {folder}/ ({names.dist}, a {kind}):", "bold"), soft_wrap=True)
    for relative in files:
        console.print(Text(f"  {relative}"), soft_wrap=True)
    console.print(
        Text(
            f"next: cd {folder} && pip install -e '.[test]' && pytest; then 'runners plugins' "
            f"lists {names.name!r}",
            "dim",
        ),
        soft_wrap=True,
    )
    return 0
