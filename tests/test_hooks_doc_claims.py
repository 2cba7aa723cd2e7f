"""docs/hooks.md claims not covered elsewhere: call order, chaining, sync/async and argument
subsets, before_run, adapt_agent, plain-function hooks, and hooks editing the loaded session.
"""

from __future__ import annotations

import pytest

from runners_core import BaseAgent, Content, InMemoryRunner, hookimpl
from runners_core.errors import PluginHookError, ValidationError


class Said(BaseAgent):
    """Replies with what it read: the user's text and how many events it was given."""

    async def _run_async_impl(self, ctx):
        text = ctx.user_content.text if ctx.user_content else ""
        yield ctx.event(f"{text} / saw {len(ctx.session.events)}")


def tagger(name: str, calls: list[str], **marks: bool):
    """A plugin appending its name to the user's message text (a replacement hook)."""

    class Tag:
        @hookimpl(**marks)
        def on_user_message(self, message):
            calls.append(name)
            return Content.from_text(f"{message.text}+{name}")

    Tag.__name__ = name
    return Tag()


async def run_once(runner, text: str = "hi", session: str = "s") -> list:
    return [
        e
        async for e in runner.run_async(
            user_id="u", session_id=session, new_message=Content.from_text(text)
        )
    ]


async def test_last_registered_runs_first_and_tryfirst_trylast_move_it():
    calls: list[str] = []
    plugins = [
        tagger("a", calls),
        tagger("b", calls),
        tagger("last", calls, trylast=True),
        tagger("first", calls, tryfirst=True),
        tagger("c", calls),
    ]
    runner = InMemoryRunner(Said(name="said"), plugins=plugins, auto_create_session=True)
    events = await run_once(runner)
    assert calls == ["first", "c", "b", "a", "last"]
    # Chained: each received what the previous returned; the agent sees the final value.
    assert events[-1].content.text.startswith("hi+first+c+b+a+last /")


async def test_none_keeps_the_value_and_async_and_subset_implementations_work():
    seen: list[object] = []

    class Keeps:
        @hookimpl
        async def on_user_message(self, message):  # async, and without ctx
            seen.append(message.text)
            return None

    class Replaces:
        @hookimpl
        def on_event(self, event):  # a subset of (ctx, event)
            return event.model_copy(update={"custom_metadata": {"by": "replaces"}})

    class After:
        @hookimpl
        async def after_append_event(self, event):
            seen.append(event.custom_metadata)

    runner = InMemoryRunner(
        Said(name="said"), plugins=[Replaces(), After(), Keeps()], auto_create_session=True
    )
    events = await run_once(runner)
    assert seen[0] == "hi" and events[-1].content.text.startswith("hi /")
    assert events[-1].custom_metadata == {"by": "replaces"}
    assert seen[-1] == {"by": "replaces"}  # what was stored is the replacement


async def test_before_run_content_ends_the_run_as_a_model_event_and_first_wins():
    ran: list[str] = []
    stored: list[str] = []

    class Never(BaseAgent):
        async def _run_async_impl(self, ctx):
            ran.append("agent")
            yield ctx.event("agent ran")

    class Gate:
        def __init__(self, reply: str) -> None:
            self.reply = reply

        @hookimpl
        def before_run(self, ctx):
            return Content.from_text(self.reply)

    class Tag:
        @hookimpl
        def on_event(self, event):
            return event.model_copy(update={"custom_metadata": {"tagged": True}})

        @hookimpl
        def after_append_event(self, event):
            stored.append(event.author)

    # Registered last runs first: "closed" wins over "later".
    runner = InMemoryRunner(
        Never(name="never"),
        plugins=[Tag(), Gate("later"), Gate("closed")],
        auto_create_session=True,
    )
    events = await run_once(runner)
    assert ran == []
    assert [(e.author, e.content.text) for e in events] == [("model", "closed")]
    assert events[0].custom_metadata == {"tagged": True}  # went through on_event
    assert stored == ["user", "model"]


async def test_hook_edits_to_the_loaded_session_are_never_stored():
    class Masker:
        @hookimpl
        def before_run(self, ctx):
            for event in ctx.session.events:
                if event.content is not None:
                    event.content.parts[0].text = "MASKED"
            ctx.session.events.clear()

    runner = InMemoryRunner(Said(name="said"), plugins=[Masker()], auto_create_session=True)
    first = await run_once(runner, "secret one")
    assert first[-1].content.text == "MASKED / saw 0"  # the agent saw the edits
    await run_once(runner, "secret two")
    stored = await runner.session_service.get_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )
    texts = [e.content.text for e in stored.events]
    assert texts == ["secret one", "MASKED / saw 0", "secret two", "MASKED / saw 0"]


class Foreign:
    """An agent of "another framework"."""

    def __init__(self, name: str) -> None:
        self.name = name


class Bridge(BaseAgent):
    async def _run_async_impl(self, ctx):
        yield ctx.event(f"bridged {self.description}")


async def test_adapt_agent_first_non_none_answer_is_used_and_unadapted_is_refused():
    asked: list[str] = []

    class Passes:
        @hookimpl
        def adapt_agent(self, obj):
            asked.append("passes")
            return None

    class Adapts:
        def __init__(self, label: str) -> None:
            self.label = label

        @hookimpl
        def adapt_agent(self, obj):
            asked.append(self.label)
            if isinstance(obj, Foreign):
                return Bridge(name=obj.name, description=self.label)
            return None

    # Call order: last registered first, so "passes" is asked, then "second"; "first" never.
    runner = InMemoryRunner(
        Foreign("alien"),
        plugins=[Adapts("first"), Adapts("second"), Passes()],
        auto_create_session=True,
    )
    assert asked == ["passes", "second"]
    events = await run_once(runner)
    assert events[-1].content.text == "bridged second"

    with pytest.raises(ValidationError, match="got Foreign; for an agent of another framework"):
        InMemoryRunner(Foreign("alien"), plugins=[Passes()])


def test_adapt_agent_must_be_a_plain_function():
    class AsyncAdapter:
        name = "async_adapter"

        @hookimpl
        async def adapt_agent(self, obj):
            return Bridge(name="x")

    with pytest.raises(PluginHookError, match="adapt_agent must be a plain function, not async"):
        InMemoryRunner(Foreign("alien"), plugins=[AsyncAdapter()])


ASYNC_SERVICES = """
from runners_core import hookimpl
from runners_core.sessions.in_memory import InMemorySessionService

@hookimpl
async def register_services(registry):
    registry.add_session_service("never", lambda url, **kw: InMemorySessionService())
"""


def test_async_register_services_marks_the_plugin_failed(install_plugin):
    from runners_core import load_config, load_plugins

    install_plugin("asyncsvc", ASYNC_SERVICES)
    loaded = load_plugins(load_config({}, environ={}))
    record = loaded.record("asyncsvc")
    assert record.state == "failed"
    assert "register_services must be a plain function, not async" in record.reason
    assert "never" not in loaded.registry.schemes("session")


async def test_an_agent_that_runs_its_own_transfers_is_not_followed_by_the_runner():
    """hooks.md (adapt_agent): ``runs_transfers_itself = True`` stores the transfer event
    without the runner running the target again."""
    from runners_core import EventActions

    calls: list[str] = []

    class Hosted(BaseAgent):
        runs_transfers_itself = True

        async def _run_async_impl(self, ctx):
            calls.append(self.name)
            yield ctx.event("routing", actions=EventActions(transfer_to_agent="billing"))
            yield ctx.event("billing answered inside the hosted tree", author="billing")

    class Billing(BaseAgent):
        async def _run_async_impl(self, ctx):
            calls.append(self.name)
            yield ctx.event("billing ran again")

    runner = InMemoryRunner(
        Hosted(name="hosted", sub_agents=[Billing(name="billing")]), auto_create_session=True
    )
    events = await run_once(runner)
    assert calls == ["hosted"]
    assert [e.content.text for e in events] == [
        "routing",
        "billing answered inside the hosted tree",
    ]
    assert events[0].actions.transfer_to_agent == "billing"
    stored = await runner.session_service.get_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )
    assert stored.events[1].actions.transfer_to_agent == "billing"  # stored as it came


async def test_no_invocation_no_invocation_hooks_and_a_failing_lock_observer_is_only_logged(
    caplog,
):
    """hooks.md: a busy or missing session raises before an invocation context exists; a
    failure in on_session_lock(acquired=False) is logged, never raised in place of busy."""
    import asyncio

    from runners_core.errors import SessionBusyError, SessionNotFoundError

    gate = asyncio.Event()
    fired: list[str] = []

    class Holder(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("holding")
            await gate.wait()

    class Observer:
        name = "observer"

        @hookimpl
        def on_session_lock(self, acquired):
            if not acquired:
                raise RuntimeError("observer broke on a busy session")

        @hookimpl
        def invocation_context(self, ctx):
            fired.append("invocation_context")

        @hookimpl
        def before_run(self, ctx):
            fired.append("before_run")

        @hookimpl
        def after_run(self, ctx):
            fired.append("after_run")

        @hookimpl
        def on_run_error(self, ctx, error):
            fired.append(f"on_run_error {type(error).__name__}")

    runner = InMemoryRunner(Holder(name="holder"), plugins=[Observer()], session_busy="reject")
    await runner.session_service.create_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )
    first = runner.run_async(user_id="u", session_id="s", new_message=Content.from_text("x"))
    await anext(first)
    assert fired == ["invocation_context", "before_run"]
    with pytest.raises(SessionBusyError):
        await run_once(runner)
    assert "observer broke on a busy session" in caplog.text
    with pytest.raises(SessionNotFoundError):
        await run_once(runner, session="missing")
    assert fired == ["invocation_context", "before_run"]  # nothing for either refused run
    gate.set()
    async for _ in first:
        pass
    assert fired[-1] == "after_run"
