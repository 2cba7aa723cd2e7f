"""Custom services as ADK documents them: public async methods, passed to Runner(...)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from runners_core import (
    BaseAgent,
    BaseArtifactService,
    BaseMemoryService,
    BaseSessionService,
    Content,
    Event,
    EventActions,
    Part,
    Runner,
)
from runners_core.errors import ServiceDefinitionError
from tests.adk_compat.adk_style_services import (
    DictArtifactService,
    DictSessionService,
    ListMemoryService,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


class Notes(BaseAgent):
    async def _run_async_impl(self, ctx):
        version = await ctx.save_artifact("note.txt", Part(text=ctx.user_content.text))
        ctx.state["temp:seen"] = True
        ctx.state["count"] = ctx.state.get("count", 0) + 1
        yield ctx.event(f"saved v{version}")


async def test_the_seeds_custom_services_example_runs_unchanged():
    my_agent = Notes(name="notes")
    runner = Runner(
        app_name="MyApp",
        agent=my_agent,
        artifact_service=DictArtifactService(),
        session_service=DictSessionService(),
        memory_service=ListMemoryService(),
    )
    session = await runner.session_service.create_session(app_name="MyApp", user_id="u")
    for text in ("first whale", "second whale"):
        events = [
            e
            async for e in runner.run_async(
                user_id="u", session_id=session.id, new_message=Content.from_text(text)
            )
        ]
    assert [e.content.text for e in events] == ["saved v1"]
    stored = await runner.session_service.get_session(
        app_name="MyApp", user_id="u", session_id=session.id
    )
    assert [e.author for e in stored.events] == ["user", "notes", "user", "notes"]
    assert stored.state == {"count": 2}
    assert all("temp:seen" not in e.actions.state_delta for e in stored.events)
    note = await runner.artifact_service.load_artifact(
        app_name="MyApp", user_id="u", session_id=session.id, filename="note.txt"
    )
    assert note == Part(text="second whale")
    await runner.close_session(user_id="u", session_id=session.id)
    found = await runner.memory_service.search_memory(app_name="MyApp", user_id="u", query="whale")
    assert [m.content.text for m in found.memories] == ["first whale", "second whale"]


@pytest.mark.parametrize(
    ("base", "missing"),
    [
        (BaseSessionService, ["list_sessions", "delete_session", "_create_session"]),
        (BaseMemoryService, ["add_session_to_memory", "_add", "_delete"]),
        (BaseArtifactService, ["load_artifact", "list_versions", "_put", "_names"]),
    ],
)
def test_a_service_with_neither_route_names_the_missing_methods(base, missing):
    class Half(base):  # type: ignore[misc, valid-type]
        async def create_session(self, **kwargs):
            return None

        async def search_memory(self, **kwargs):
            return None

        async def save_artifact(self, **kwargs):
            return 0

    with pytest.raises(ServiceDefinitionError) as caught:
        Half()
    assert isinstance(caught.value, TypeError)
    message = str(caught.value)
    assert "Half cannot be instantiated" in message
    for name in missing:
        assert re.search(rf"\b{name}\b", message), (name, message)


async def test_super_append_event_updates_the_callers_session_as_adks_does():
    service = DictSessionService()
    session = await service.create_session(app_name="a", user_id="u", session_id="s")
    event = Event(
        author="agent",
        actions=EventActions(state_delta={"temp:scratch": 1, "kept": 2, "user:name": "Ada"}),
    )
    returned = await service.append_event(session, event)
    assert returned is event
    assert event.actions.state_delta == {"kept": 2, "user:name": "Ada"}  # trimmed in place
    assert session.state == {"temp:scratch": 1, "kept": 2, "user:name": "Ada"}
    assert session.events == [event]
    reloaded = await service.get_session(app_name="a", user_id="u", session_id="s")
    assert reloaded.state == {"kept": 2, "user:name": "Ada"}


async def test_operations_beyond_adks_methods_say_what_is_missing():
    service = ListMemoryService()
    with pytest.raises(NotImplementedError, match="ListMemoryService does not implement _delete"):
        await service.delete_memory(app_name="a", user_id="u")
    sessions = DictSessionService()
    await sessions.create_session(app_name="a", user_id="u", session_id="s")
    assert (await sessions.list_events(app_name="a", user_id="u", session_id="s")).events == []


def _section_snippets(path: Path, heading: str) -> str:
    text = path.read_text()
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL))


def test_docs_custom_service_examples_run():
    namespace: dict = {}
    exec(
        compile(_section_snippets(DOCS / "plugins.md", "## Custom services"), "plugins.md", "exec"),
        namespace,
    )
    assert asyncio.run(namespace["main"]()) == "you said: hello whales"
    exec(
        compile(
            _section_snippets(DOCS / "plugins.md", "## ADK-style plugins"), "plugins.md", "exec"
        ),
        namespace,
    )
    runner = namespace["runner"]
    session = asyncio.run(runner.session_service.create_session(app_name="counted", user_id="u"))
    list(runner.run(user_id="u", session_id=session.id, new_message=Content.from_text("x")))
    assert namespace["counter"].runs == 1
