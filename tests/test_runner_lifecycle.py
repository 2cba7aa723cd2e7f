"""A runner's shutdown: unclosed runners release what they hold, close never hides an error.

Issue 11, items 15 and 16.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import warnings
from collections.abc import AsyncGenerator

import pytest

from runners_core import BaseAgent, Content, Event, InMemoryRunner, InvocationContext, hookimpl
from runners_core.errors import RunnersError
from runners_core.plugins.manager import load_plugins


class _Hello(BaseAgent):
    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        yield ctx.event("hello")


class _FailsOnClose:
    @hookimpl
    def on_runner_close(self, runner: object) -> None:
        raise RuntimeError("close hook exploded")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts fds through /proc")
def test_runners_used_synchronously_and_dropped_release_their_thread_and_fds() -> None:
    agent = _Hello(name="hello")
    plugins = load_plugins(entry_points=())  # discovered once: the loop measures runners only
    gc.collect()
    threads, fds = threading.active_count(), _open_fds()
    with pytest.warns(ResourceWarning, match=r"unclosed InMemoryRunner\('leaky'\)") as caught:
        for i in range(500):
            runner = InMemoryRunner(
                agent, app_name="leaky", auto_create_session=True, plugin_manager=plugins
            )
            events = list(
                runner.run(user_id="u", session_id=f"s{i}", new_message=Content.from_text("hi"))
            )
            assert [e.content.text for e in events if e.author == "hello"] == ["hello"]
            del runner
            # Bounded all along, not only at the end (before the fix: +1 thread, +3 fds each).
            assert threading.active_count() <= threads + 20
            assert _open_fds() <= fds + 60
    assert len(caught) >= 450  # one per dropped runner (the last may still be alive)
    gc.collect()
    for thread in threading.enumerate():
        if thread.name == "runners-core-leaky":
            thread.join(timeout=10)
    assert threading.active_count() <= threads + 1
    assert _open_fds() <= fds + 3


def test_a_closed_runner_gives_no_warning() -> None:
    runner = InMemoryRunner(_Hello(name="hello"), auto_create_session=True)
    list(runner.run(user_id="u", session_id="s", new_message=Content.from_text("hi")))
    asyncio.run(runner.close())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del runner
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


async def test_a_failing_close_does_not_replace_the_error_from_the_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = InMemoryRunner(_Hello(name="hello"), plugins=[_FailsOnClose()])
    with pytest.raises(KeyError, match="from the body") as raised:
        async with runner:
            raise KeyError("from the body")
    notes = getattr(raised.value, "__notes__", [])
    assert any("close hook exploded" in note for note in notes)
    assert "close hook exploded" in caplog.text


async def test_a_failing_close_is_raised_when_the_body_succeeded() -> None:
    runner = InMemoryRunner(_Hello(name="hello"), plugins=[_FailsOnClose()])
    with pytest.raises(RunnersError, match="close hook exploded"):
        async with runner:
            pass
