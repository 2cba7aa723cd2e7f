"""ADK 2.x ``Workflow`` roots on runners_core.Runner, with a scripted model (no network)."""

from __future__ import annotations

import pytest
from google.adk.agents import LlmAgent
from google.adk.workflow import START, Workflow
from runners_adk import AdkAgent
from runners_adk.scripted import ScriptedLlm, call

from runners_core import Content, Event, Runner, hookimpl


def note(text: str) -> dict:
    """Write a note."""
    return {"noted": text}


def shout(node_input: str) -> str:
    """A function node: the writer's answer (its text output), upper-cased."""
    return node_input.upper()


def workflow(model: ScriptedLlm) -> Workflow:
    writer = LlmAgent(name="writer", model=model, tools=[note])
    return Workflow(name="pipeline", edges=[(START, writer, shout)])


def runner_for(agent, backend_url: str, **kwargs) -> Runner:
    return Runner.from_config(
        agent,
        app_name="app",
        session_service=backend_url,
        memory_service="memory://",
        artifact_service="memory://",
        auto_create_session=True,
        **kwargs,
    )


async def turn(runner: Runner, text: str) -> list[Event]:
    return [
        e
        async for e in runner.run_async(
            user_id="u", session_id="s1", new_message=Content.from_text(text)
        )
    ]


def summary(events: list[Event]) -> list[tuple[str, str, object]]:
    """(author, node path, what happened) per event."""
    out = []
    for e in events:
        if e.get_function_calls():
            what: object = ("call", e.get_function_calls()[0].name)
        elif e.get_function_responses():
            what = ("response", e.get_function_responses()[0].response)
        elif e.content and e.content.text:
            what = e.content.text
        else:
            what = ("output", e.output)
        out.append((e.author, e.node_info.path if e.node_info else "", what))
    return out


@pytest.mark.backends(["sqlite", "postgresql"])
async def test_a_workflow_root_runs_its_graph_and_every_event_is_stored(backend_url):
    model = ScriptedLlm(script=[call("note", text="draft"), "drafted"], loop=True)
    runner = runner_for(workflow(model), backend_url)  # adapted by the adapt_agent hook
    try:
        assert isinstance(runner.agent, AdkAgent)
        events = await turn(runner, "write something")
        expected = [
            ("writer", "pipeline@1/writer@1", ("call", "note")),
            ("writer", "pipeline@1/writer@1", ("response", {"noted": "draft"})),
            ("writer", "pipeline@1/writer@1", "drafted"),
            ("pipeline", "pipeline@1/shout@1", ("output", "DRAFTED")),
        ]
        assert summary(events) == expected
        # The writer's second model call saw the tool's result.
        assert model.requests[1].contents[-1].parts[0].function_response.response == {
            "noted": "draft"
        }
        session = await runner.session_service.get_session(
            app_name="app", user_id="u", session_id="s1"
        )
        assert session.events[0].author == "user"
        assert session.events[0].content.text == "write something"
        assert session.events[1:] == events  # stored once each, user message not repeated

        # A second turn: the workflow runs again on the stored history.
        again = await turn(runner, "once more")
        assert summary(again) == expected
        # As under ADK's own Runner, a workflow's LlmAgent node starts from this run's
        # input (the stored user message, read once), not the earlier turns.
        assert [[p.text for p in c.parts] for c in model.requests[-2].contents] == [["once more"]]
        assert all(e.invocation_id == again[0].invocation_id for e in again)
    finally:
        await runner.close()


@pytest.mark.backends(["sqlite"])
async def test_hooks_change_what_is_stored_not_what_nodes_hand_each_other(backend_url):
    class Redact:
        @hookimpl
        def on_event(self, ctx, event):
            if event.content and "secret" in (event.content.text or ""):
                return event.model_copy(
                    update={"content": Content.from_text("[redacted]", role="model")}
                )
            return None

    writer = LlmAgent(name="writer", model=ScriptedLlm(script=["the secret is 42"]))
    editor_model = ScriptedLlm(script=["edited"])
    editor = LlmAgent(name="editor", model=editor_model)
    in_memory: list = []

    def look(ctx, node_input: str) -> str:
        in_memory.extend(e.content.parts[0].text for e in ctx.session.events if e.content)
        return node_input

    flow = Workflow(name="pipeline", edges=[(START, writer, editor, look)])
    runner = runner_for(AdkAgent(flow), backend_url, plugins=[Redact()])
    try:
        events = await turn(runner, "tell me")
        assert [e.content.text for e in events if e.content] == ["[redacted]", "edited"]
        stored = await runner.session_service.get_session(
            app_name="app", user_id="u", session_id="s1"
        )
        assert "secret" not in stored.model_dump_json()
        # The session ADK's nodes read holds the events as stored.
        assert in_memory == ["tell me", "[redacted]", "edited"]
        # ADK hands a node's output to the next node in memory (the editor's input is
        # the writer's answer, not the session's history): hooks do not see that path.
        seen = [p.text for c in editor_model.requests[0].contents for p in c.parts]
        assert seen == ["the secret is 42"]
    finally:
        await runner.close()
