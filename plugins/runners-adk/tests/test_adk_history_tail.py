"""A full load after a long invocation reads only the newest stored events.

Backends fetch a session's newest 32 events with a load and its older rows only when
something reads that far back (runners_core.sessions.history). The adapter's history
cache checks one cached event against the stored history on each full load; these
tests prove that check stays among the newest events after an invocation that stored
more than 31 (an LlmAgent calling 20 tools in one turn), in both directions, and that
another writer's events in between are still found.
"""

from __future__ import annotations

from pathlib import Path

import runners_adk
from google.adk.agents import LlmAgent
from google.adk.events.event import Event as AdkEvent
from google.adk.runners import Runner as AdkRunner
from google.adk.workflow import START, Workflow
from google.genai import types
from runners_adk import AdkAgent, RunnersSessionService
from runners_adk.convert import event_to_adk
from runners_adk.scripted import ScriptedLlm, call
from runners_sqlite.sessions import SqliteSessionService

from runners_core import Content, Runner
from runners_core.services import session_service_from_url

TOOL_CALLS = 20  # 2 events each (call, response): 40 events, more than a load's 32


class CountingSqlite(SqliteSessionService):
    """SQLite sessions counting how often a loaded history fetched its older rows."""

    older_fetches = 0

    def history(self, payloads, *, older=0, loader=None):
        if loader is not None:
            fetch = loader

            def loader():
                self.older_fetches += 1
                return fetch()

        return super().history(payloads, older=older, loader=loader)


def tick(i: int) -> dict:
    """Counts."""
    return {"i": i}


def busy_agent() -> LlmAgent:
    """Answers each message with TOOL_CALLS tool calls, one per model call, then text."""
    script = [call("tick", i=i) for i in range(TOOL_CALLS)] + ["done"]
    return LlmAgent(name="busy", model=ScriptedLlm(script=script, loop=True), tools=[tick])


def message(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


def said(text: str) -> AdkEvent:
    return AdkEvent(
        invocation_id="other",
        author="agent",
        content=types.Content(role="model", parts=[types.Part(text=text)]),
    )


async def stored_as_adk(url: str, session_id: str) -> list[AdkEvent]:
    """The stored history converted afresh (no cache), to compare with."""
    service = session_service_from_url(url)
    try:
        session = await service.get_session(app_name="app", user_id="u", session_id=session_id)
        return [event_to_adk(e) for e in session.events]
    finally:
        await service.close()


async def test_adk_runner_load_after_a_long_invocation_reads_only_the_tail(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'adk.db'}"
    backend = CountingSqlite(url)
    sessions = RunnersSessionService(service=backend)
    runner = AdkRunner(app_name="app", agent=busy_agent(), session_service=sessions)
    try:
        session = await sessions.create_session(app_name="app", user_id="u", session_id="s")
        for n in range(2):
            async for _ in runner.run_async(user_id="u", session_id="s", new_message=message("go")):
                pass
            assert backend.older_fetches == 0, f"invocation {n + 1} read older rows"
        loaded = await sessions.get_session(app_name="app", user_id="u", session_id=session.id)
        assert len(loaded.events) == 2 * (1 + 2 * TOOL_CALLS + 1)
        assert backend.older_fetches == 0, "the full load fetched rows older than the newest 32"
        assert loaded.events == await stored_as_adk(url, "s")
    finally:
        await runner.close()
        await sessions.close()


async def test_our_runner_hosting_adk_loads_only_the_tail_after_a_long_invocation(
    tmp_path: Path,
):
    url = f"sqlite:///{tmp_path / 'adk.db'}"
    backend = CountingSqlite(url)
    runner = Runner(
        agent=AdkAgent(busy_agent()),
        app_name="app",
        session_service=backend,
        auto_create_session=True,
    )
    try:
        for n in range(3):
            events = [
                e
                async for e in runner.run_async(
                    user_id="u", session_id="s", new_message=Content.from_text("go")
                )
            ]
            assert events[-1].content.text == "done"
            assert backend.older_fetches == 0, f"invocation {n + 1} read older rows"
        # The ADK agent's model saw the whole history on its last call (every tool
        # result of every invocation), so nothing was left out of the cached list.
        model = runner.agent.adk_agent.model
        assert len(model.requests[-1].contents) == 3 * (1 + 2 * TOOL_CALLS + 1) - 1
    finally:
        await runner.close()


def shout(node_input: str) -> str:
    """A function node: the agent's answer, upper-cased."""
    return node_input.upper()


async def test_our_runner_hosting_a_workflow_loads_only_the_tail_after_a_long_invocation(
    tmp_path: Path,
):
    url = f"sqlite:///{tmp_path / 'adk.db'}"
    backend = CountingSqlite(url)
    pipeline = Workflow(name="pipeline", edges=[(START, busy_agent(), shout)])
    runner = Runner(
        agent=AdkAgent(pipeline), app_name="app", session_service=backend, auto_create_session=True
    )
    try:
        for n in range(3):
            events = [
                e
                async for e in runner.run_async(
                    user_id="u", session_id="s", new_message=Content.from_text("go")
                )
            ]
            assert events[-1].output == "DONE"
            assert backend.older_fetches == 0, f"invocation {n + 1} read older rows"
        session = await backend.get_session(app_name="app", user_id="u", session_id="s")
        assert len(session.events) == 3 * (1 + 2 * TOOL_CALLS + 2)
    finally:
        await runner.close()


async def test_another_writers_events_among_ours_are_found(backend_url: str):
    """Another process appends in the middle of a long invocation: the next load
    sees the newest cached event out of place and converts afresh after the last
    event the previous load verified."""
    url = backend_url
    one = runners_adk.session_service(url)
    two = runners_adk.session_service(url)
    try:
        session = await one.create_session(app_name="app", user_id="u", session_id="s")
        for i in range(3):
            await one.append_event(session, said(f"first{i}"))
        session = await one.get_session(app_name="app", user_id="u", session_id="s")
        for i in range(40):
            if i == 20:
                other = await two.get_session(app_name="app", user_id="u", session_id="s")
                await two.append_event(other, said("from two"))
            await one.append_event(session, said(f"mine{i}"))
        loaded = await one.get_session(app_name="app", user_id="u", session_id="s")
        expected = await stored_as_adk(url, "s")
        assert loaded.events == expected
        assert [e.content.parts[0].text for e in loaded.events][22:26] == [
            "mine19",
            "from two",
            "mine20",
            "mine21",
        ]
        # Deleted elsewhere, then more of ours: found too (the newest is out of place).
        await two.service.delete_events(
            app_name="app", user_id="u", session_id="s", event_ids=[expected[5].id]
        )
        for i in range(40, 80):
            await one.append_event(loaded, said(f"mine{i}"))
        again = await one.get_session(app_name="app", user_id="u", session_id="s")
        assert again.events == await stored_as_adk(url, "s")
        assert len(again.events) == 3 + 1 + 80 - 1
    finally:
        await one.close()
        await two.close()
