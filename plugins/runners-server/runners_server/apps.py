"""The apps a server serves: one runner per agent, all on one set of services.

Agents come from references (``path/to/file.py:attr``, ``package.module:attr``)
or from an agents folder laid out as ADK's (``agents/<app>/agent.py`` or
``agents/<app>/__init__.py`` defining ``root_agent``; the folder name is the app
name). Services and plugins come from ``[tool.runners_core]`` like everywhere
else, with the server's explicit URLs first; every app shares them, so one
database pool serves them all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runners_core.errors import ConfigError, RunnersError
from runners_core.runner import Runner
from runners_server.settings import ServerSettings

if TYPE_CHECKING:
    from runners_core.agents.base_agent import BaseAgent
    from runners_core.artifacts.base import BaseArtifactService
    from runners_core.config import Config
    from runners_core.memory.base import BaseMemoryService
    from runners_core.sessions.base import BaseSessionService

log = logging.getLogger("runners_server")


class UnknownAppError(RunnersError, LookupError):
    """A request named an app this server does not serve."""

    def __init__(self, app_name: str, known: list[str]) -> None:
        self.app_name = app_name
        super().__init__(
            f"app {app_name!r} is not served here; served apps: {', '.join(known) or 'none'} "
            "(GET /list-apps)"
        )


@dataclass
class Apps:
    """The served apps by name, and the services they share."""

    runners: dict[str, Runner]
    session_service: BaseSessionService
    memory_service: BaseMemoryService | None
    artifact_service: BaseArtifactService | None
    session_busy: str = "wait"
    busy_timeout: float | None = None
    _owned: list[Any] = field(default_factory=list)

    def names(self) -> list[str]:
        return sorted(self.runners)

    def runner(self, app_name: str) -> Runner:
        runner = self.runners.get(app_name)
        if runner is None:
            raise UnknownAppError(app_name, self.names())
        return runner

    async def close(self) -> None:
        """Close every runner (``on_runner_close``), then the shared services once."""
        for runner in self.runners.values():
            try:
                await runner.close()
            except Exception:
                log.exception("closing the runner of app %r failed", runner.app_name)
        for service in self._owned:
            try:
                await service.close()
            except Exception:
                log.exception("closing %s failed", type(service).__name__)


def load_apps(settings: ServerSettings, *, config: Config | None = None) -> Apps:
    """Load the agents *settings* name and build their runners on shared services."""
    from runners_core.config import load_config
    from runners_core.plugins.manager import load_plugins
    from runners_core.services import service_from_url

    agents = _load_agents(settings)
    if not agents:
        raise ConfigError(
            "no agent to serve; give an agent reference (runners serve app.py:root_agent), "
            "--agent REF for more, or --agents-dir FOLDER"
        )
    config = config if config is not None else load_config()
    loaded = load_plugins(config)
    owned: list[Any] = []

    def build(kind: str) -> Any:
        url = getattr(settings, f"{kind}_service") or getattr(config, f"{kind}_service")
        service = service_from_url(kind, url or "memory://", plugins=loaded)  # type: ignore[arg-type]
        owned.append(service)
        return service

    sessions, memory, artifacts = build("session"), build("memory"), build("artifact")
    # The server's --session-busy / --busy-timeout win over the configuration, for every
    # route: /run and /run_sse pass them per request, /run_live uses the runner's own.
    session_busy = settings.session_busy or config.session_busy
    busy_timeout = (
        settings.busy_timeout if settings.busy_timeout is not None else config.busy_timeout
    )
    runners: dict[str, Runner] = {}
    for name, agent in agents:
        if name in runners:
            raise ConfigError(
                f"two agents would be served as app {name!r}; give them different names "
                "(or serve them from an agents folder, where the folder names the app)"
            )
        runners[name] = Runner(
            app_name=name,
            agent=agent,
            session_service=sessions,
            memory_service=memory,
            artifact_service=artifacts,
            session_busy=session_busy,
            busy_timeout=busy_timeout,
            plugin_manager=loaded,
        )
    return Apps(
        runners=runners,
        session_service=sessions,
        memory_service=memory,
        artifact_service=artifacts,
        session_busy=session_busy,
        busy_timeout=busy_timeout,
        _owned=owned,
    )


def _load_agents(settings: ServerSettings) -> list[tuple[str, BaseAgent]]:
    from runners_server.agent_refs import load_agent

    if settings.app_name and len(settings.agents) != 1:
        raise ConfigError(
            f"--app {settings.app_name} renames a single agent, but {len(settings.agents)} "
            "agent references are given; drop --app (each app is then named after its agent) "
            "or serve one agent"
        )
    found: list[tuple[str, BaseAgent]] = []
    for reference in settings.agents:
        agent = load_agent(reference)
        found.append((settings.app_name or agent.name, agent))
    if settings.agents_dir:
        found.extend(_agents_in_folder(Path(settings.agents_dir)))
    return found


def _agents_in_folder(folder: Path) -> list[tuple[str, BaseAgent]]:
    from runners_server.agent_refs import load_agent

    if not folder.is_dir():
        raise ConfigError(f"agents folder {folder} does not exist; check --agents-dir")
    found: list[tuple[str, BaseAgent]] = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith((".", "_")) or not child.is_dir():
            continue
        for candidate in (child / "agent.py", child / "__init__.py"):
            if candidate.is_file():
                found.append((child.name, load_agent(f"{candidate}:root_agent")))
                break
    if not found:
        raise ConfigError(
            f"agents folder {folder} has no apps; put each app in a subfolder with an "
            "agent.py (or __init__.py) that defines root_agent"
        )
    return found
