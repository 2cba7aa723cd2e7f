"""The plugin in a real runner: what is stored, what the agent sees, discovery and settings."""

from __future__ import annotations

import textwrap
from pathlib import Path

from runners_redact import RedactPlugin

from runners_core import BaseAgent, Content, InMemoryRunner, load_config, load_plugins

CARD = "4111 1111 1111 1111"


class Parrot(BaseAgent):
    """Repeats what it was told, and keeps it in state."""

    async def _run_async_impl(self, ctx):  # type: ignore[override]
        heard = ctx.user_content.text if ctx.user_content else ""
        ctx.state["last_heard"] = heard
        yield ctx.event(f"you said: {heard}")


class Leaky(BaseAgent):
    """Says a card number the user never sent (e.g. looked up in a tool)."""

    async def _run_async_impl(self, ctx):  # type: ignore[override]
        ctx.state["card"] = f"on file: {CARD}"
        yield ctx.event(f"the card on file is {CARD}")


async def run_once(agent: BaseAgent, message: str, plugin: RedactPlugin):
    runner = InMemoryRunner(agent, plugins=[plugin])
    await runner.session_service.create_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )
    events = [
        event
        async for event in runner.run_async(
            user_id="u", session_id="s", new_message=Content.from_text(message)
        )
    ]
    session = await runner.session_service.get_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )
    await runner.close()
    return events, session


async def test_the_agent_never_sees_the_users_card_number_and_nothing_stores_it() -> None:
    events, session = await run_once(Parrot(name="parrot"), f"my card is {CARD}", RedactPlugin())
    assert [e.content.text for e in events] == ["you said: my card is [REDACTED]"]
    stored = [e.content.text for e in session.events]
    assert stored == ["my card is [REDACTED]", "you said: my card is [REDACTED]"]
    assert session.state["last_heard"] == "my card is [REDACTED]"
    assert CARD not in session.model_dump_json()


async def test_card_numbers_the_agent_produces_are_redacted_before_storage() -> None:
    events, session = await run_once(Leaky(name="leaky"), "what card?", RedactPlugin())
    assert events[0].content.text == "the card on file is [REDACTED]"
    assert session.state["card"] == "on file: [REDACTED]"
    assert CARD not in session.model_dump_json()


async def test_settings_change_what_is_redacted() -> None:
    plugin = RedactPlugin(patterns=[r"\bACCT-\d{4}\b"], replacement="<hidden>", cards=False)
    _, session = await run_once(Parrot(name="parrot"), f"ACCT-0042 and {CARD}", plugin)
    assert session.events[0].content.text == f"<hidden> and {CARD}"


async def test_messages_without_secrets_are_stored_unchanged() -> None:
    events, session = await run_once(Parrot(name="parrot"), "hello 12345", RedactPlugin())
    assert session.events[0].content.text == "hello 12345"
    assert events[0].content.text == "you said: hello 12345"


def write_pyproject(folder: Path, body: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text(textwrap.dedent(body))
    return path


def test_the_installed_entry_point_is_discovered_and_configured(tmp_path: Path) -> None:
    pyproject = write_pyproject(
        tmp_path,
        """
        [tool.runners_core]
        enable = ["redact"]

        [tool.runners_core.plugins.redact]
        patterns = ["\\\\bACCT-\\\\d{4}\\\\b"]
        replacement = "[acct]"
        """,
    )
    loaded = load_plugins(load_config(environ={}, pyproject=pyproject))
    record = loaded.record("redact")
    assert record is not None and record.state == "enabled", record
    assert record.distribution == "runners-redact"
    assert record.hooks == ["before_append_event", "on_user_message"]
    plugin = loaded.pm.get_plugin("redact")
    assert isinstance(plugin, RedactPlugin)
    assert plugin.redactor.redact("ACCT-0001") == "[acct]"


def test_a_bad_setting_is_reported_not_fatal(tmp_path: Path) -> None:
    pyproject = write_pyproject(
        tmp_path,
        """
        [tool.runners_core.plugins.redact]
        patterns = ["(unclosed"]
        """,
    )
    loaded = load_plugins(load_config(environ={}, pyproject=pyproject))
    record = loaded.record("redact")
    assert record is not None and record.state == "failed"
    assert "(unclosed" in record.reason and "patterns" in record.reason
