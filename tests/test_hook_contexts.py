"""The around-hooks: on_session_lock, invocation_context and agent_context."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import re
from pathlib import Path

import pytest

from runners_core import BaseAgent, Content, EventActions, InMemoryRunner, hookimpl
from runners_core.errors import PluginHookError, SessionBusyError

CURRENT = contextvars.ContextVar("current", default="none")
DOC = Path(__file__).resolve().parents[1] / "docs" / "hooks.md"


class Recorder:
    """Sets CURRENT around invocations and agent runs and writes down what it sees."""

    def __init__(self) -> None:
        self.log: list[tuple] = []

    @hookimpl
    def on_session_lock(self, session_id, waited, acquired):
        self.log.append(("lock", session_id, acquired, waited >= 0))

    @hookimpl
    def invocation_context(self, ctx):
        @contextlib.contextmanager
        def scope():
            token = CURRENT.set(f"invocation {ctx.invocation_id}")
            self.log.append(("enter invocation",))
            try:
                yield
            except BaseException as exc:
                self.log.append(("exit invocation", type(exc).__name__))
                raise
            else:
                self.log.append(("exit invocation", None))
            finally:
                CURRENT.reset(token)

        return scope()

    @hookimpl
    async def agent_context(self, ctx, agent):
        log = self.log

        class Scope:
            async def __aenter__(self):
                self.token = CURRENT.set(f"agent {agent.name}")
                log.append(("enter agent", agent.name, ctx.agent.name))

            async def __aexit__(self, kind, exc, tb):
                CURRENT.reset(self.token)
                log.append(("exit agent", agent.name, kind.__name__ if kind else None))

        return Scope()

    @hookimpl
    def after_run(self):
        self.log.append(("after_run", CURRENT.get().split()[0]))


class Seer(BaseAgent):
    """Reports the context variable it sees while it runs; transfers when told to."""

    transfer_to: str | None = None

    async def _run_async_impl(self, ctx):
        yield ctx.event(f"{self.name} sees {CURRENT.get()}")
        if self.transfer_to:
            yield ctx.event(
                "handing over", actions=EventActions(transfer_to_agent=self.transfer_to)
            )


async def run(runner, session_id="s", text="hi"):
    return [
        e
        async for e in runner.run_async(
            user_id="u", session_id=session_id, new_message=Content.from_text(text)
        )
    ]


async def test_contexts_wrap_the_invocation_and_each_agent_and_are_current_inside():
    helper = Seer(name="helper")
    root = Seer(name="root", transfer_to="helper", sub_agents=[helper])
    recorder = Recorder()
    runner = InMemoryRunner(root, plugins=[recorder], auto_create_session=True)
    events = await run(runner)
    texts = [e.content.parts[0].text for e in events if e.content and e.author != "user"]
    assert texts == ["root sees agent root", "handing over", "helper sees agent helper"]
    assert recorder.log == [
        ("lock", "s", True, True),
        ("enter invocation",),
        ("enter agent", "root", "root"),
        ("exit agent", "root", None),
        ("enter agent", "helper", "helper"),
        ("exit agent", "helper", None),
        ("after_run", "invocation"),
        ("exit invocation", None),
    ]
    assert CURRENT.get() == "none"


async def test_invocation_context_sees_the_error_and_cancellation():
    class Boom(BaseAgent):
        async def _run_async_impl(self, ctx):
            raise LookupError("broken")
            yield

    recorder = Recorder()
    runner = InMemoryRunner(Boom(name="boom"), plugins=[recorder], auto_create_session=True)
    with pytest.raises(LookupError):
        await run(runner)
    assert ("exit agent", "boom", "LookupError") in recorder.log
    assert recorder.log[-1] == ("exit invocation", "LookupError")

    class Slow(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("started")
            await asyncio.sleep(60)

    recorder = Recorder()
    runner = InMemoryRunner(Slow(name="slow"), plugins=[recorder], auto_create_session=True)
    started = asyncio.Event()

    async def consume():
        async for _ in runner.run_async(
            user_id="u", session_id="s", new_message=Content.from_text("x")
        ):
            started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert recorder.log[-1] == ("exit invocation", "CancelledError")


async def test_busy_rejection_is_reported_to_on_session_lock():
    gate = asyncio.Event()

    class Holder(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("holding")
            await gate.wait()

    recorder = Recorder()
    runner = InMemoryRunner(
        Holder(name="holder"), plugins=[recorder], auto_create_session=True, session_busy="reject"
    )
    first = runner.run_async(user_id="u", session_id="s", new_message=Content.from_text("x"))
    await anext(first)
    with pytest.raises(SessionBusyError):
        await run(runner)
    assert recorder.log[-1] == ("lock", "s", False, True)
    # The rejected invocation never entered a context.
    assert recorder.log.count(("enter invocation",)) == 1
    gate.set()
    async for _ in first:
        pass


async def test_a_hook_returning_a_non_context_manager_is_reported():
    class Wrong:
        name = "wrong"

        @hookimpl
        def invocation_context(self):
            return "not a context manager"

    runner = InMemoryRunner(Seer(name="a"), plugins=[Wrong()], auto_create_session=True)
    with pytest.raises(PluginHookError, match="return a context manager"):
        await run(runner)
    # The lock was released: the session runs again once the plugin is gone.
    runner.plugins.pm.unregister(name="wrong")
    runner.plugins.hooks.plugins_changed()
    assert [e.author for e in await run(runner)] == ["a"]


def test_the_hooks_md_timing_example_runs(capsys):
    block = next(
        b
        for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
        if "class Timing" in b
    )
    namespace: dict = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    runner = InMemoryRunner(
        Seer(name="a"), plugins=[namespace["Timing"]()], auto_create_session=True
    )
    events = list(runner.run(user_id="u", session_id="s", new_message=Content.from_text("x")))
    invocation_id, seconds = capsys.readouterr().out.split()
    assert invocation_id == events[-1].invocation_id and float(seconds) >= 0
