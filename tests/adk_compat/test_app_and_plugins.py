"""ADK 2.x App and ADK-style plugin objects, as an ADK user's code builds them."""

from __future__ import annotations

import pytest

from runners_core import (
    App,
    BaseAgent,
    BasePlugin,
    CallbackContext,
    Content,
    Event,
    InMemoryRunner,
    InMemorySessionService,
    InvocationContext,
    Part,
    Runner,
)
from runners_core.errors import ValidationError


class Hello(BaseAgent):
    async def _run_async_impl(self, ctx):
        yield ctx.event(f"hello {ctx.user_content.text}")


class CountInvocationPlugin(BasePlugin):
    """The counting plugin of ADK's plugin docs, with every run-level callback."""

    def __init__(self) -> None:
        super().__init__(name="count_invocation")
        self.calls: list[str] = []

    async def on_user_message_callback(
        self, *, invocation_context: InvocationContext, user_message: Content
    ) -> Content | None:
        self.calls.append("on_user_message")
        return Content(role="user", parts=[Part(text=user_message.text.upper())])

    async def before_run_callback(self, *, invocation_context: InvocationContext) -> None:
        self.calls.append("before_run")

    async def before_agent_callback(self, *, agent: BaseAgent, callback_context: CallbackContext):
        self.calls.append(f"before_agent {agent.name}")

    async def after_agent_callback(self, *, agent: BaseAgent, callback_context: CallbackContext):
        self.calls.append(f"after_agent {agent.name}")

    async def on_event_callback(
        self, *, invocation_context: InvocationContext, event: Event
    ) -> Event | None:
        self.calls.append("on_event")
        event.custom_metadata = {"seen_by": self.name}
        return event

    async def after_run_callback(self, *, invocation_context: InvocationContext) -> None:
        self.calls.append("after_run")

    async def close(self) -> None:
        self.calls.append("close")


async def test_runner_accepts_an_adk_app_with_adk_style_plugins():
    plugin = CountInvocationPlugin()
    app = App(name="my_app", root_agent=Hello(name="hello"), plugins=[plugin])
    runner = Runner(app=app, session_service=InMemorySessionService(), auto_create_session=True)
    assert runner.app_name == "my_app" and runner.agent is app.root_agent
    events = [
        e
        async for e in runner.run_async(
            user_id="u", session_id="s", new_message=Content.from_text("world")
        )
    ]
    assert [e.content.text for e in events] == ["hello WORLD"]
    assert events[0].custom_metadata == {"seen_by": "count_invocation"}
    await runner.close()
    assert plugin.calls == [
        "on_user_message",
        "before_run",
        "before_agent hello",
        "on_event",
        "after_agent hello",
        "after_run",
        "close",
    ]


async def test_a_plugins_before_agent_content_skips_the_agent_and_its_callbacks():
    agent_callbacks = []

    class Gate(BasePlugin):
        async def before_agent_callback(self, *, agent, callback_context):
            return Content(role="model", parts=[Part(text="blocked by plugin")])

    agent = Hello(name="hello", before_agent_callback=lambda **kw: agent_callbacks.append(1))
    runner = InMemoryRunner(app=App(name="gated", root_agent=agent, plugins=[Gate("gate")]))
    await runner.session_service.create_session(app_name="gated", user_id="u", session_id="s")
    events = [
        e
        async for e in runner.run_async(
            user_id="u", session_id="s", new_message=Content.from_text("x")
        )
    ]
    assert [e.content.text for e in events] == ["blocked by plugin"]
    assert agent_callbacks == []


async def test_duck_typed_adk_plugins_and_error_callbacks():
    seen = []

    class Watcher:  # not a BasePlugin subclass: recognised by its callback methods
        name = "watcher"

        async def on_agent_error_callback(self, *, agent, callback_context, error):
            seen.append(("agent", agent.name, str(error)))

        async def on_run_error_callback(self, *, invocation_context, error):
            seen.append(("run", str(error)))

    class Broken(BaseAgent):
        async def _run_async_impl(self, ctx):
            raise RuntimeError("boom")
            yield  # pragma: no cover

    runner = InMemoryRunner(Broken(name="broken"), plugins=[Watcher()], auto_create_session=True)
    with pytest.raises(RuntimeError, match="boom"):
        async for _ in runner.run_async(
            user_id="u", session_id="s", new_message=Content.from_text("x")
        ):
            pass
    assert seen == [("agent", "broken", "boom"), ("run", "boom")]


def test_app_and_agent_are_exclusive_and_app_names_validated():
    agent = Hello(name="hello")
    with pytest.raises(ValidationError, match="either app"):
        Runner(
            app=App(name="a", root_agent=agent),
            agent=agent,
            session_service=InMemorySessionService(),
        )
    with pytest.raises(ValueError):
        App(name="bad name", root_agent=Hello(name="h2"))
    with pytest.raises(ValidationError, match="app_name"):
        Runner(agent=Hello(name="h3"), session_service=InMemorySessionService())
