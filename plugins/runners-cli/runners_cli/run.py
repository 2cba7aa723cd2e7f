"""``runners run``: one turn (``-m``) or an interactive chat, on the configured backends.

Everything async runs on one event loop (an :class:`asyncio.Runner` kept for
the whole command), so backends that bind connections to a loop work across
turns, while the prompt itself is read synchronously in the main thread. That
keeps Ctrl-C simple: at the prompt it ends the chat; during a turn asyncio
cancels the invocation (the runner's ``on_run_error`` hooks see it), and the
chat ends. Either way the session is closed (its events go to the memory
service) and the runner is shut down.
"""

from __future__ import annotations

import asyncio
import secrets

from rich.text import Text

from runners_cli.chat import Chat, RunOptions
from runners_cli.errors import EXIT_ERROR, EXIT_INTERRUPTED, CliState, report_exception


def new_cli_session_id() -> str:
    """A short random session id that is easy to type back with ``--session``."""
    return secrets.token_hex(6)


def run_agent(options: RunOptions, state: CliState) -> int:
    """Run the command; returns its exit code."""
    from runners_cli.agent_ref import load_agent
    from runners_cli.services import choose_services, prepare
    from runners_core.config import load_config
    from runners_core.identifiers import validate_id
    from runners_core.plugins.manager import load_plugins
    from runners_core.runner import Runner

    state.watch_urls([options.session_service, options.memory_service, options.artifact_service])
    config = load_config(
        {
            "app_name": options.app_name,
            "session_service": options.session_service,
            "memory_service": options.memory_service,
            "artifact_service": options.artifact_service,
        }
    )
    state.watch_urls([config.session_service, config.memory_service, config.artifact_service])
    loaded = load_plugins(config)
    # Plugins first: their adapt_agent hook may turn another framework's agent into ours.
    agent = load_agent(options.agent, adapt=loaded.hooks.adapt_agent)
    if options.live:
        from runners_cli.live import check_live_agent

        check_live_agent(agent)
    choices = choose_services(config, loaded)
    prepare(choices, loaded=loaded)
    if options.history_file is None:
        from runners_core.default_services import EMBEDDED_DIR, project_dir

        options.history_file = project_dir(config) / EMBEDDED_DIR / "chat-history"
    session_id = validate_id("session_id", options.session_id or new_cli_session_id())
    validate_id("user_id", options.user_id)

    with asyncio.Runner() as loop:
        runner = Runner.from_config(
            agent,
            app_name=options.app_name,
            session_service=choices["session"].url,
            memory_service=choices["memory"].url,
            artifact_service=choices["artifact"].url,
            config=config,
            plugin_manager=loaded,
            auto_create_session=True,
        )
        chat = _chat_class(options)(runner, options, session_id, state)
        code = 0
        try:
            code = chat.start(loop)
        except KeyboardInterrupt:
            chat.err.print(Text(f"interrupted: {chat.cancelled}"), soft_wrap=True)
            code = EXIT_INTERRUPTED
        except Exception as exc:
            # Reported here, before the session is closed and announced as saved,
            # so the error reads in the order things happened.
            report_exception(exc, state)
            chat.failed = True
            code = EXIT_ERROR
        finally:
            code = chat.finish(loop) or code
        return code


def _chat_class(options: RunOptions) -> type[Chat]:
    if options.live:
        from runners_cli.live import LiveChat

        return LiveChat
    return Chat
