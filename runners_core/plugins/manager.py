"""Building a plugin manager: discovery, enable/disable, settings, validation, failures.

Nothing is loaded at import time. :func:`load_plugins` builds a fresh manager
each time it is called, so tests and applications get their own. A plugin that
fails is recorded and skipped; whether that is fatal (``strict``,
``required_plugins``) is decided once, after everything is loaded, so the
``runners plugins`` and ``runners config`` commands can still show it all.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import importlib_metadata
import pluggy

from runners_core import hookspecs
from runners_core.config import Config, load_config
from runners_core.errors import ConfigError, PluginError
from runners_core.plugins import builtin
from runners_core.plugins.hooks import PluginHooks
from runners_core.plugins.registry import KINDS, ServiceRegistry, conflict_message

if TYPE_CHECKING:
    from packaging.requirements import Requirement

ENTRY_POINT_GROUP = "runners_core.plugins"
KERNEL_DISTRIBUTION = "runners-core"

log = logging.getLogger("runners_core.plugins")

PluginState = Literal["enabled", "disabled", "failed"]


@dataclass
class PluginRecord:
    """What happened to one plugin: for ``runners plugins`` and error messages."""

    name: str
    distribution: str
    version: str | None
    state: PluginState
    origin: Literal["builtin", "entry point", "argument"]
    reason: str = ""
    traceback: str | None = None
    hooks: list[str] = field(default_factory=list)
    schemes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class LoadedPlugins:
    """A ready plugin manager with its typed hooks, service registry and load report.

    *problem* says why loading is fatal under the configuration (``strict``,
    ``required_plugins``, or an allow-list naming a plugin that is not installed);
    :func:`load_plugins` raises it unless asked not to.
    """

    pm: pluggy.PluginManager
    hooks: PluginHooks
    registry: ServiceRegistry
    records: list[PluginRecord]
    config: Config
    problem: str | None = None

    def record(self, name: str) -> PluginRecord | None:
        return next((r for r in self.records if r.name == name), None)

    @property
    def failed(self) -> list[PluginRecord]:
        return [r for r in self.records if r.state == "failed"]

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object given in code into this manager (changes it in place).

        To run extra plugins without changing a manager others use, take
        :meth:`with_plugins` instead.
        """
        name = name or getattr(plugin, "name", None) or _object_name(plugin)
        if self.pm.has_plugin(name):
            name = f"{name}-{id(plugin):x}"
        _register_checked(self.pm, plugin, name)
        self.hooks.plugins_changed()
        self.hooks._distributions[name] = "<argument>"
        self.records.append(
            PluginRecord(
                name=name,
                distribution="<argument>",
                version=None,
                state="enabled",
                origin="argument",
                hooks=_hook_names(self.pm, plugin),
            )
        )
        return name

    def with_plugins(self, plugins: Sequence[object]) -> LoadedPlugins:
        """This manager's plugins plus *plugins*, in a new manager; this one is unchanged.

        ``Runner(plugins=[...], plugin_manager=shared)`` uses it, so two runners
        sharing one manager never run each other's plugins. Services and
        records are shared as they were loaded.
        """
        if not plugins:
            return self
        pm = _new_manager()
        for name, plugin in self.pm.list_name_plugin():
            if plugin is not None:
                pm.register(plugin, name=name)
        derived = LoadedPlugins(
            pm,
            PluginHooks(pm, dict(self.hooks._distributions)),
            self.registry,
            list(self.records),
            self.config,
            self.problem,
        )
        for plugin in plugins:
            derived.register(plugin)
        return derived


def _new_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm


def _object_name(plugin: object) -> str:
    if inspect.ismodule(plugin):
        return plugin.__name__
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return cls.__name__


def _hook_names(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    callers = pm.get_hookcallers(plugin) or []
    return sorted(caller.name for caller in callers)


def _register_checked(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    """Register *plugin*, or raise PluginError and leave the manager unchanged."""
    try:
        pm.register(plugin, name=name)
    except Exception as exc:  # pluggy.PluginValidationError, ValueError on duplicates
        raise PluginError(f"plugin {name!r} cannot be registered: {exc}") from exc
    problems = []
    for caller in pm.get_hookcallers(plugin) or []:
        if caller.spec is None:
            problems.append(f"it implements {caller.name!r}, which is not a runners-core hook")
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and (impl.hookwrapper or impl.wrapper):
                problems.append(
                    f"{caller.name} is a hook wrapper; runners-core hooks take plain "
                    "implementations (drop wrapper=True / hookwrapper=True)"
                )
    if problems:
        pm.unregister(plugin)
        raise PluginError(f"plugin {name!r} is invalid: {'; '.join(problems)}")


def _instantiate(name: str, obj: Any, settings: dict[str, Any]) -> object:
    """Turn an entry point's object into a plugin, handing it its settings.

    A class or a plain factory function is called with the settings of
    ``[tool.runners_core.plugins.<name>]`` as keyword arguments; a module or an
    instance is the plugin itself and takes no settings.
    """
    marker = f"{hookspecs.PROJECT_NAME}_impl"
    if isinstance(obj, type) or (inspect.isfunction(obj) and not hasattr(obj, marker)):
        try:
            return obj(**settings)
        except TypeError as exc:
            raise ConfigError(
                f"plugin {name!r} rejected its settings from "
                f"[tool.runners_core.plugins.{name}]: {exc}; check the plugin's documentation "
                "for the settings it accepts"
            ) from exc
    if settings:
        raise ConfigError(
            f"plugin {name!r} takes no settings, but [tool.runners_core.plugins.{name}] "
            f"sets {', '.join(sorted(settings))}; remove that table"
        )
    return obj


def discover_entry_points() -> list[importlib_metadata.EntryPoint]:
    """Installed ``runners_core.plugins`` entry points (first wins for a repeated name)."""
    seen: dict[str, importlib_metadata.EntryPoint] = {}
    for ep in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        seen.setdefault(ep.name, ep)
    return sorted(seen.values(), key=lambda ep: ep.name)


def load_plugins(
    config: Config | None = None,
    *,
    extra_plugins: Sequence[object] = (),
    entry_points: Iterable[Any] | None = None,
    enforce: bool = True,
) -> LoadedPlugins:
    """Build a plugin manager from installed entry points, *config* and *extra_plugins*.

    A plugin that fails to import, configure or register is recorded as failed
    and logged; it is fatal (a :class:`PluginError`) only if its distribution
    is in ``required_plugins`` or when ``strict`` is set. With
    ``enforce=False`` nothing is fatal and the reason is left in
    :attr:`LoadedPlugins.problem` (for commands that report on plugins).
    """
    config = config if config is not None else load_config()
    pm = _new_manager()
    distributions: dict[str, str] = {builtin.NAME: KERNEL_DISTRIBUTION}
    hooks = PluginHooks(pm, distributions)
    records: list[PluginRecord] = []

    pm.register(builtin, name=builtin.NAME)
    records.append(
        PluginRecord(
            builtin.NAME,
            KERNEL_DISTRIBUTION,
            _version(KERNEL_DISTRIBUTION),
            "enabled",
            "builtin",
            hooks=_hook_names(pm, builtin),
        )
    )

    eps = list(discover_entry_points() if entry_points is None else entry_points)
    names = {ep.name for ep in eps}
    allow = config.plugins
    unknown_problem = None
    if allow is not None:
        unknown = [n for n in allow if n not in names and n != builtin.NAME]
        if unknown:
            unknown_problem = (
                f"unknown plugin {unknown[0]!r} in the plugins allow-list "
                f"({config.source('plugins')}); installed plugins: "
                f"{', '.join(sorted(names)) or 'none'}. Install the package that provides "
                f"it, or remove {unknown[0]!r} from the list"
            )
            if enforce:
                raise ConfigError(unknown_problem)
    required = _parse_requirements(config.required_plugins)
    errors: dict[str, BaseException] = {}
    disabled = set(config.disable)

    for ep in eps:
        dist_name, version = _dist_of(ep)
        record = PluginRecord(ep.name, dist_name, version, "enabled", "entry point")
        records.append(record)
        if allow is not None and ep.name not in allow:
            record.state = "disabled"
            record.reason = f"not in the plugins allow-list ({config.source('plugins')})"
            continue
        if ep.name in disabled:
            record.state = "disabled"
            record.reason = f"listed in disable ({config.source('disable')})"
            continue
        try:
            plugin = _instantiate(ep.name, ep.load(), dict(config.plugin_settings.get(ep.name, {})))
            _register_checked(pm, plugin, ep.name)
            distributions[ep.name] = dist_name
            record.hooks = _hook_names(pm, plugin)
        except Exception as exc:
            _fail(record, exc, errors)

    for name in config.plugin_settings:
        if name not in names:
            log.warning(
                "[tool.runners_core.plugins.%s] configures a plugin that is not installed", name
            )

    registry = ServiceRegistry()
    loaded = LoadedPlugins(pm, hooks, registry, records, config)
    for plugin in extra_plugins:
        loaded.register(plugin)
    _register_all_services(loaded, errors)
    loaded.problem = (
        unknown_problem or _strict_problem(loaded) or _required_problem(loaded, required)
    )
    if loaded.problem and enforce:
        cause = next(iter(errors.values()), None)
        raise PluginError(loaded.problem) from cause
    return loaded


def _register_all_services(loaded: LoadedPlugins, errors: dict[str, BaseException]) -> None:
    for failure in loaded.hooks.register_services(loaded.registry):
        record = loaded.record(failure.plugin)
        if record is None:  # every registered plugin has a record; keep the error visible
            raise failure
        plugin = loaded.pm.get_plugin(failure.plugin)
        if plugin is not None:
            loaded.pm.unregister(plugin)
            loaded.hooks.plugins_changed()
        _fail(record, failure, errors)
    for registration in loaded.registry.claims():
        record = loaded.record(registration.plugin)
        if record is not None:
            record.schemes.setdefault(registration.kind, []).append(registration.scheme)
    for (kind, scheme), claimants in loaded.registry.conflicts().items():
        log.warning("%s", conflict_message(kind, scheme, claimants))


def _fail(record: PluginRecord, exc: BaseException, errors: dict[str, BaseException]) -> None:
    """Record *record*'s plugin as failed and skipped (fatal or not is decided later)."""
    errors[record.name] = exc
    record.state = "failed"
    record.reason = f"{type(exc).__name__}: {exc}"
    record.traceback = "".join(traceback.format_exception(exc))
    log.warning(
        "plugin %r (%s) failed to load and is skipped: %s. Disable it with "
        "RUNNERS_CORE_DISABLE_PLUGINS=%s or fix the package",
        record.name,
        record.distribution,
        record.reason,
        record.name,
    )


def _parse_requirements(specs: Sequence[str]) -> list[Requirement]:
    if not specs:
        return []
    # Imported here: only a configured required_plugins needs version specifiers.
    from packaging.requirements import InvalidRequirement, Requirement

    parsed = []
    for spec in specs:
        try:
            parsed.append(Requirement(spec))
        except InvalidRequirement as exc:
            raise ConfigError(
                f"required_plugins entry {spec!r} is not a valid requirement ({exc}); "
                "write it like 'runners-sqlite>=0.1'"
            ) from None
    return parsed


def _strict_problem(loaded: LoadedPlugins) -> str | None:
    failed = loaded.failed
    if not (loaded.config.strict and failed):
        return None
    first = failed[0]
    return (
        f"plugin {first.name!r} ({first.distribution}) failed to load and strict mode is on "
        f"({loaded.config.source('strict')}): {first.reason}. Fix or uninstall it, or disable "
        f"it with RUNNERS_CORE_DISABLE_PLUGINS={first.name}"
    )


def _required_problem(loaded: LoadedPlugins, required: Sequence[Requirement]) -> str | None:
    where = f"in required_plugins ({loaded.config.source('required_plugins')})"
    for req in required:
        version = _version(req.name)
        if version is None:
            return (
                f"required plugin distribution {req.name!r} ({where}) is not installed; "
                f"run pip install '{req}'"
            )
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            return (
                f"required plugin distribution {str(req)!r} ({where}) is not satisfied: "
                f"version {version} is installed; run pip install '{req}'"
            )
        wanted = req.name.lower().replace("_", "-")
        ours = [r for r in loaded.records if r.distribution.lower().replace("_", "-") == wanted]
        if not any(r.state == "enabled" for r in ours):
            state = "; ".join(f"{r.name}: {r.state} ({r.reason})" for r in ours) or (
                "it provides no runners_core.plugins entry point"
            )
            return (
                f"required plugin distribution {req.name!r} ({where}) is installed but not "
                f"active: {state}. Fix or enable it, or remove it from required_plugins"
            )
    return None


def _dist_of(ep: Any) -> tuple[str, str | None]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "<unknown>", None
    return dist.name, dist.version


def _version(distribution: str) -> str | None:
    try:
        return importlib_metadata.version(distribution)
    except importlib_metadata.PackageNotFoundError:
        return None


def services_summary(loaded: LoadedPlugins) -> dict[str, list[str]]:
    return {kind: loaded.registry.schemes(kind) for kind in KINDS}
