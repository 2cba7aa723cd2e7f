"""What a live run (and an SSE run) stores, and what it only yields."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest

from runners_core import (
    BaseAgent,
    Blob,
    Content,
    Event,
    InvocationContext,
    LiveRequest,
    LiveRequestQueue,
    Part,
    RunConfig,
    StreamingMode,
    hookimpl,
)
from runners_core.errors import PluginHookError, SessionNotFoundError, ValidationError
from tests.live.live_kit import label, live_runner, run_all, say, stored

AUDIO = Blob(data=b"\x00\x01\x02\x03", mime_type="audio/pcm;rate=16000")


async def test_user_content_is_stored_partials_and_audio_are_only_yielded():
    runner = live_runner()
    queue = LiveRequestQueue()
    queue.send_activity_start()
    queue.send_content(say("hi"))
    queue.send_realtime(AUDIO)
    queue.send_activity_end()
    queue.close()
    events = await run_all(runner, queue)
    assert [label(e) for e in events] == [
        "echo:[partial][interrupted]",
        "echo:hi[partial]",
        "echo:echo: hi",
        "echo:<audio>[partial]",  # audio-only events are stream chunks
        "echo:[turn_complete]",
    ]
    assert events[3].content.parts[0].inline_data == AUDIO
    assert await stored(runner) == ["user:hi", "echo:echo: hi", "echo:[turn_complete]"]


async def test_user_and_agent_events_share_the_live_invocation_id():
    runner = live_runner()
    queue = LiveRequestQueue()
    queue.send_content(say("one"))
    queue.send_content(say("two"))
    queue.close()
    events = await run_all(runner, queue)
    session = await runner.session_service.get_session(app_name="live", user_id="u", session_id="s")
    ids = {e.invocation_id for e in session.events} | {e.invocation_id for e in events}
    assert len(ids) == 1
    assert [label(e) for e in session.events] == [
        "user:one",
        "echo:echo: one",
        "user:two",
        "echo:echo: two",
    ]


async def test_turn_complete_and_interrupted_pass_through_to_storage():
    class Flags(BaseAgent):
        async def _run_live_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
            await ctx.live_request_queue.get()
            yield ctx.event("cut", interrupted=True)
            yield ctx.event("done", turn_complete=True)

    runner = live_runner(Flags(name="flags"))
    queue = LiveRequestQueue()
    queue.send_activity_start()
    events = await run_all(runner, queue)
    assert [(e.interrupted, e.turn_complete) for e in events] == [(True, None), (None, True)]
    assert await stored(runner) == ["flags:cut[interrupted]", "flags:done[turn_complete]"]


async def test_mixed_audio_and_text_event_is_stored():
    class Mixed(BaseAgent):
        async def _run_live_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
            parts = [Part(text="transcript"), Part(inline_data=AUDIO)]
            yield ctx.event(content=Content(role="model", parts=parts))

    runner = live_runner(Mixed(name="mixed"))
    events = await run_all(runner, LiveRequestQueue())
    assert events[0].partial is None
    assert await stored(runner) == ["mixed:transcript"]


async def test_on_user_message_replacement_is_what_the_agent_sees_and_stores():
    class Shout:
        @hookimpl
        def on_user_message(self, message: Content) -> Content:
            return say(message.text.upper())

    runner = live_runner(plugins=[Shout()])
    queue = LiveRequestQueue()
    queue.send_content(say("quiet"))
    queue.close()
    events = await run_all(runner, queue)
    assert [label(e) for e in events] == ["echo:QUIET[partial]", "echo:echo: QUIET"]
    assert await stored(runner) == ["user:QUIET", "echo:echo: QUIET"]


async def test_a_failing_user_message_hook_fails_the_run_even_if_the_agent_swallows_it():
    class Broken:
        @hookimpl
        def on_user_message(self) -> None:
            raise RuntimeError("hook broke")

    class Swallower(BaseAgent):
        async def _run_live_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
            while True:
                try:
                    request = await ctx.live_request_queue.get()
                except Exception as exc:
                    yield ctx.event(f"ignored {type(exc).__name__}")
                    continue
                if request.close:
                    return

    runner = live_runner(Swallower(name="swallow"), plugins=[Broken()])
    queue = LiveRequestQueue()
    queue.send_content(say("x"))
    queue.send_content(say("y"))
    with pytest.raises(PluginHookError, match="on_user_message"):
        await run_all(runner, queue)
    # Nothing from either message was stored: the second read raised the same error,
    # and the failure closed the queue, so the agent's next read saw the end.
    assert await stored(runner) == ["swallow:ignored PluginHookError"] * 2
    assert queue.closed


async def test_invalid_user_content_through_the_queue_fails_the_run():
    runner = live_runner()
    queue = LiveRequestQueue()
    queue.send_content(Content(role="user", parts=[Part.from_function_call("f", {})]))
    with pytest.raises(ValidationError, match="function_call"):
        await run_all(runner, queue)


async def test_agent_state_changes_are_stored_with_its_next_event():
    class Counter(BaseAgent):
        async def _run_live_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
            async for request in ctx.live_request_queue:
                ctx.state["heard"] = ctx.state.get("heard", 0) + 1
                yield ctx.event(request.content.text, partial=True)
                yield ctx.event("ok")

    runner = live_runner(Counter(name="counter"))
    queue = LiveRequestQueue()
    queue.send_content(say("a"))
    queue.send_content(say("b"))
    queue.close()
    events = await run_all(runner, queue)
    assert [e.actions.state_delta for e in events] == [{}, {"heard": 1}, {}, {"heard": 2}]
    session = await runner.session_service.get_session(app_name="live", user_id="u", session_id="s")
    assert session.state == {"heard": 2}


async def test_missing_session_without_auto_create_is_a_clear_error_and_closes_the_queue():
    runner = live_runner(auto_create_session=False)
    queue = LiveRequestQueue()
    with pytest.raises(SessionNotFoundError, match="auto_create_session=True"):
        await run_all(runner, queue)
    assert queue.closed


async def test_an_existing_session_is_loaded_and_extended():
    runner = live_runner(auto_create_session=False)
    await runner.session_service.create_session(
        app_name="live", user_id="u", session_id="s", state={"k": "v"}
    )
    queue = LiveRequestQueue()
    queue.send_content(say("hi"))
    queue.close()
    await run_all(runner, queue)
    assert await stored(runner) == ["user:hi", "echo:echo: hi"]


async def test_run_live_defaults_to_bidi_streaming_and_keeps_a_given_config():
    modes: list[StreamingMode] = []

    class Mode(BaseAgent):
        async def _run_live_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
            modes.append(ctx.run_config.streaming_mode)
            yield ctx.event("x")

    runner = live_runner(Mode(name="mode"))
    await run_all(runner, LiveRequestQueue())
    await run_all(
        runner, LiveRequestQueue(), run_config=RunConfig(streaming_mode=StreamingMode.SSE)
    )
    assert modes == [StreamingMode.BIDI, StreamingMode.SSE]


def test_run_live_rejects_something_that_is_not_a_queue():
    runner = live_runner()

    async def go() -> None:
        await run_all(runner, [say("hi")])  # type: ignore[arg-type]

    with pytest.raises(ValidationError, match="LiveRequestQueue"):
        asyncio.run(go())


# ---------------------------------------------------------------------- SSE through run_async


class Sse(BaseAgent):
    """Streams its answer word by word when asked for SSE, then sends the whole answer."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        words = ["streamed", "answer", "here"]
        if ctx.run_config.streaming_mode == StreamingMode.SSE:
            for word in words:
                yield ctx.event(word, partial=True)
        ctx.state["answered"] = True
        yield ctx.event(" ".join(words))


@pytest.mark.parametrize("mode", [StreamingMode.SSE, StreamingMode.NONE])
async def test_sse_callers_see_chunks_storage_keeps_the_final_event(mode: StreamingMode):
    runner = live_runner(Sse(name="sse"))
    events = [
        event
        async for event in runner.run_async(
            user_id="u",
            session_id="s",
            new_message=say("question"),
            run_config=RunConfig(streaming_mode=mode),
        )
    ]
    chunks = ["sse:streamed[partial]", "sse:answer[partial]", "sse:here[partial]"]
    final = "sse:streamed answer here"
    expected = [*chunks, final] if mode == StreamingMode.SSE else [final]
    assert [label(e) for e in events] == expected
    # Pending state goes with the final event, never with a chunk.
    assert [e.actions.state_delta for e in events][-1] == {"answered": True}
    assert all(not e.actions.state_delta for e in events if e.partial)
    assert await stored(runner) == ["user:question", final]


def test_sse_through_the_sync_run_stores_only_the_final_event():
    runner = live_runner(Sse(name="sse"))
    events = list(
        runner.run(
            user_id="u",
            session_id="s",
            new_message=say("q"),
            run_config=RunConfig(streaming_mode=StreamingMode.SSE),
        )
    )
    assert [e.partial for e in events] == [True, True, True, None]
    assert asyncio.run(stored(runner)) == ["user:q", "sse:streamed answer here"]


async def test_a_state_delta_request_is_applied_to_the_session():
    # As in ADK: state_delta is applied whatever else the request carries, even alone.
    runner = live_runner()
    queue = LiveRequestQueue()
    queue.send_state_delta({"mood": "calm"})
    queue.send(LiveRequest(content=say("hi"), state_delta={"user:lang": "fr"}))
    queue.close()
    await run_all(runner, queue)
    session = await runner.session_service.get_session(app_name="live", user_id="u", session_id="s")
    assert session.state["mood"] == "calm" and session.state["user:lang"] == "fr"
    deltas = [(e.author, e.actions.state_delta) for e in session.events if e.actions.state_delta]
    assert deltas == [("user", {"mood": "calm"}), ("user", {"user:lang": "fr"})]
