"""Which hooks fire during a live run, and in what order."""

from __future__ import annotations

from runners_core import Content, Event, LiveRequestQueue, hookimpl
from tests.live.live_kit import LiveEcho, Recorder, label, live_runner, run_all, say, stored


async def test_hook_order_in_a_live_run():
    recorder = Recorder()
    runner = live_runner(plugins=[recorder])
    queue = LiveRequestQueue()
    queue.send_content(say("hi"))
    queue.send_activity_end()
    queue.close()
    await run_all(runner, queue)
    assert recorder.calls == [
        ("before_run", ""),
        ("on_user_message", "hi"),
        ("before_append_event", "user:hi"),
        ("after_append_event", "user:hi"),
        ("on_event", "echo:hi[partial]"),  # partial: on_event only, never stored
        ("on_event", "echo:echo: hi"),
        ("before_append_event", "echo:echo: hi"),
        ("after_append_event", "echo:echo: hi"),
        ("on_event", "echo:[turn_complete]"),
        ("before_append_event", "echo:[turn_complete]"),
        ("after_append_event", "echo:[turn_complete]"),
        ("after_run", ""),
    ]


async def test_realtime_blobs_and_activity_signals_reach_no_user_hook():
    recorder = Recorder()
    runner = live_runner(plugins=[recorder])
    queue = LiveRequestQueue()
    queue.send_activity_start()
    queue.send_activity_end()
    queue.close()
    await run_all(runner, queue)
    assert "on_user_message" not in recorder.names()
    assert [c for c in recorder.calls if c[0] == "before_append_event"] == [
        ("before_append_event", "echo:[turn_complete]")
    ]


async def test_on_event_replacements_apply_to_chunks_and_final_events():
    class Redact:
        @hookimpl
        def on_event(self, event: Event) -> Event | None:
            if event.content and "secret" in event.content.text:
                text = event.content.text.replace("secret", "******")
                return event.model_copy(update={"content": Content.from_text(text, "model")})
            return None

    runner = live_runner(plugins=[Redact()])
    queue = LiveRequestQueue()
    queue.send_content(say("secret"))
    queue.close()
    events = await run_all(runner, queue)
    assert [label(e) for e in events] == ["echo:******[partial]", "echo:echo: ******"]
    # The user's own message is not an agent event: on_event does not see it.
    assert await stored(runner) == ["user:secret", "echo:echo: ******"]


async def test_before_run_content_ends_the_live_run_without_the_agent():
    class Closed:
        @hookimpl
        def before_run(self) -> Content:
            return Content.from_text("we are closed", role="model")

    recorder = Recorder()
    agent = LiveEcho(name="echo")
    runner = live_runner(agent, plugins=[recorder, Closed()])
    queue = LiveRequestQueue()
    queue.send_content(say("anyone there?"))
    events = await run_all(runner, queue)
    assert [label(e) for e in events] == ["model:we are closed"]
    assert agent.log == []  # the agent never started
    assert queue.closed  # the run ended, so the queue is closed
    # The message nobody read is not stored.
    assert await stored(runner) == ["model:we are closed"]
    # Closed was registered last, so its before_run ran first and ended the run
    # before the recorder's before_run was reached.
    assert recorder.names() == [
        "on_event",
        "before_append_event",
        "after_append_event",
        "after_run",
    ]
