"""Runner behaviour: the invocation pipeline, sessions, agents, sync/async surfaces."""

from __future__ import annotations

import asyncio
import threading

import pytest

from runners_core import (
    BaseAgent,
    Content,
    Event,
    EventActions,
    GetSessionConfig,
    InMemoryRunner,
    InMemorySessionService,
    InvocationContext,
    Part,
    RunConfig,
    Runner,
    SequentialAgent,
    hookimpl,
)
from runners_core.errors import (
    RunnersError,
    SessionBusyError,
    SessionNotFoundError,
    ValidationError,
)

APP = "InMemoryRunner"


def msg(text: str) -> Content:
    return Content.from_text(text)


class Scripted(BaseAgent):
    """Yields the events a test gives it (filled with author/invocation id)."""

    script: list[dict] = []

    async def _run_async_impl(self, ctx: InvocationContext):
        for fields in self.script:
            fields = dict(fields)
            fields.setdefault("author", self.name)
            yield Event(invocation_id=ctx.invocation_id, **fields)


async def collect(agen) -> list[Event]:
    return [event async for event in agen]


async def stored_session(runner: Runner, session_id: str = "s", user_id: str = "u"):
    return await runner.session_service.get_session(
        app_name=runner.app_name, user_id=user_id, session_id=session_id
    )


async def test_run_async_stores_user_and_agent_events(echo_agent):
    runner = InMemoryRunner(echo_agent)
    await runner.session_service.create_session(app_name=APP, user_id="u", session_id="s")
    events = await collect(
        runner.run_async(
            user_id="u", session_id="s", new_message=msg("hi"), state_delta={"mood": "ok"}
        )
    )
    assert [e.content.text for e in events] == ["echo: hi"]
    assert events[0].actions.state_delta == {"turns": 1}
    session = await stored_session(runner)
    assert [e.author for e in session.events] == ["user", "echo"]
    assert session.events[0].actions.state_delta == {"mood": "ok"}
    assert session.events[0].invocation_id == session.events[1].invocation_id
    assert session.state == {"mood": "ok", "turns": 1}


async def test_missing_session_is_a_clear_error(echo_agent):
    runner = InMemoryRunner(echo_agent)
    with pytest.raises(SessionNotFoundError, match="auto_create_session=True"):
        await collect(runner.run_async(user_id="u", session_id="nope", new_message=msg("x")))


async def test_auto_create_session(echo_agent):
    runner = InMemoryRunner(echo_agent, auto_create_session=True)
    await collect(runner.run_async(user_id="u", session_id="new", new_message=msg("x")))
    session = await stored_session(runner, "new")
    assert session is not None and len(session.events) == 2


async def test_user_message_with_function_call_is_rejected(echo_agent):
    runner = InMemoryRunner(echo_agent, auto_create_session=True)
    bad = Content(role="user", parts=[Part.from_function_call("lookup", {"q": 1})])
    with pytest.raises(ValidationError, match="function_call"):
        await collect(runner.run_async(user_id="u", session_id="s", new_message=bad))
    # Nothing was stored: the session was not even created.
    assert await stored_session(runner) is None


async def test_agent_event_without_invocation_id_is_stored_with_the_runs_id():
    class Sloppy(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield Event(author=self.name, content=Content.from_text("x", role="model"))

    runner = InMemoryRunner(Sloppy(name="sloppy"), auto_create_session=True)
    events = await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("hi")))
    session = await stored_session(runner)
    assert [e.author for e in session.events] == ["user", "sloppy"]
    assert session.events[1].invocation_id == session.events[0].invocation_id != ""
    assert events[0].invocation_id == session.events[0].invocation_id


async def test_partial_events_are_yielded_not_stored():
    agent = Scripted(
        name="streamer",
        script=[
            {"content": Content.from_text("Hel", role="model"), "partial": True},
            {"content": Content.from_text("lo", role="model"), "partial": True},
            {"content": Content.from_text("Hello", role="model")},
        ],
    )
    runner = InMemoryRunner(agent, auto_create_session=True)
    events = await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("x")))
    assert [(e.content.text, bool(e.partial)) for e in events] == [
        ("Hel", True),
        ("lo", True),
        ("Hello", False),
    ]
    session = await stored_session(runner)
    assert [e.content.text for e in session.events] == ["x", "Hello"]


async def test_temp_state_visible_in_invocation_never_stored():
    seen = {}

    class TempUser(BaseAgent):
        async def _run_async_impl(self, ctx):
            ctx.state["temp:scratch"] = 41
            yield ctx.event("one")
            seen["later"] = ctx.session.state.get("temp:scratch")
            ctx.state["app:count"] = 1
            ctx.state["user:name"] = "ada"
            yield ctx.event("two")

    runner = InMemoryRunner(TempUser(name="t"), auto_create_session=True)
    await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("x")))
    assert seen["later"] == 41
    session = await stored_session(runner)
    assert "temp:scratch" not in session.state
    assert all("temp:scratch" not in e.actions.state_delta for e in session.events)
    assert session.state["app:count"] == 1 and session.state["user:name"] == "ada"
    other = await runner.session_service.create_session(app_name=APP, user_id="u2")
    assert other.state == {"app:count": 1}


async def test_pending_state_flushed_when_agent_ends_without_event():
    class Silent(BaseAgent):
        async def _run_async_impl(self, ctx):
            ctx.state["done"] = True
            return
            yield

    runner = InMemoryRunner(Silent(name="quiet"), auto_create_session=True)
    events = await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("x")))
    assert len(events) == 1 and events[0].actions.state_delta == {"done": True}
    assert (await stored_session(runner)).state == {"done": True}


async def test_artifacts_and_memory_from_context():
    class Saver(BaseAgent):
        async def _run_async_impl(self, ctx):
            version = await ctx.save_artifact("notes.txt", Part(text="v"))
            found = await ctx.search_memory("banana")
            yield ctx.event(f"saved v{version}, memories={len(found.memories)}")

    runner = InMemoryRunner(Saver(name="saver"), auto_create_session=True)
    first = await collect(runner.run_async(user_id="u", session_id="a", new_message=msg("banana")))
    assert first[0].actions.artifact_delta == {"notes.txt": 0}
    assert first[0].content.text == "saved v0, memories=0"
    await runner.close_session(user_id="u", session_id="a")
    second = await collect(runner.run_async(user_id="u", session_id="b", new_message=msg("hi")))
    assert second[0].content.text == "saved v0, memories=1"
    part = await runner.artifact_service.load_artifact(
        app_name=APP, user_id="u", session_id="a", filename="notes.txt"
    )
    assert part.text == "v"


async def test_transfer_runs_target_now_and_resumes_with_it_next_turn():
    calls: list[str] = []

    class Router(BaseAgent):
        disallow_transfer_to_parent: bool = False  # LLM-style: may keep the conversation

        async def _run_async_impl(self, ctx):
            calls.append(self.name)
            yield ctx.event("routing", actions=EventActions(transfer_to_agent="billing"))

    class Billing(BaseAgent):
        disallow_transfer_to_parent: bool = False

        async def _run_async_impl(self, ctx):
            calls.append(self.name)
            yield ctx.event("billing here")

    root = Router(name="router", sub_agents=[Billing(name="billing")])
    runner = InMemoryRunner(root, auto_create_session=True)
    first = await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("pay")))
    assert [e.author for e in first] == ["router", "billing"]
    await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("again")))
    assert calls == ["router", "billing", "billing"]


async def test_transfer_to_unknown_agent_is_a_clear_error():
    agent = Scripted(name="lost", script=[{"actions": EventActions(transfer_to_agent="ghost")}])
    runner = InMemoryRunner(agent, auto_create_session=True)
    with pytest.raises(RunnersError, match="'ghost'.*known agents: lost"):
        await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("x")))


async def test_sequential_agent_and_end_invocation():
    class Say(BaseAgent):
        stop: bool = False

        async def _run_async_impl(self, ctx):
            yield ctx.event(self.name)
            if self.stop:
                ctx.end_invocation = True

    seq = SequentialAgent(
        name="seq", sub_agents=[Say(name="a"), Say(name="b", stop=True), Say(name="c")]
    )
    runner = InMemoryRunner(seq, auto_create_session=True)
    events = await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("x")))
    assert [e.content.text for e in events] == ["a", "b"]


class Recorder:
    def __init__(self):
        self.calls: list[str] = []

    @hookimpl
    def on_user_message(self, ctx, message):
        self.calls.append("on_user_message")
        return Content.from_text(message.text.upper())

    @hookimpl
    async def before_run(self, ctx):
        self.calls.append("before_run")

    @hookimpl
    def on_event(self, ctx, event):
        self.calls.append(f"on_event:{event.author}")

    @hookimpl
    async def before_append_event(self, session, event):
        self.calls.append(f"before_append:{event.author}")

    @hookimpl
    def after_append_event(self, session, event):
        self.calls.append(f"after_append:{event.author}")

    @hookimpl
    def after_run(self, ctx):
        self.calls.append("after_run")

    @hookimpl
    def on_run_error(self, ctx, error):
        self.calls.append(f"on_run_error:{type(error).__name__}")

    @hookimpl
    def on_close_session(self, session):
        self.calls.append("on_close_session")

    @hookimpl
    def on_runner_close(self, runner):
        self.calls.append("on_runner_close")


async def test_hook_order_through_an_invocation(echo_agent):
    recorder = Recorder()
    runner = InMemoryRunner(echo_agent, plugins=[recorder], auto_create_session=True)
    events = await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("hi")))
    assert events[0].content.text == "echo: HI"
    assert recorder.calls == [
        "on_user_message",
        "before_append:user",
        "after_append:user",
        "before_run",
        "on_event:echo",
        "before_append:echo",
        "after_append:echo",
        "after_run",
    ]
    recorder.calls.clear()
    await runner.close_session(user_id="u", session_id="s")
    await runner.close()
    assert recorder.calls == ["on_close_session", "on_runner_close"]


async def test_on_run_error_fires_and_error_propagates():
    class Boom(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("first")
            raise KeyError("kaboom")

    recorder = Recorder()
    runner = InMemoryRunner(Boom(name="boom"), plugins=[recorder], auto_create_session=True)
    with pytest.raises(KeyError, match="kaboom"):
        await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("x")))
    assert recorder.calls[-1] == "on_run_error:KeyError"
    assert "after_run" not in recorder.calls
    # What was acknowledged before the failure stays stored.
    assert [e.author for e in (await stored_session(runner)).events] == ["user", "boom"]


async def test_before_run_can_end_the_run_without_the_agent():
    ran = []

    class Never(BaseAgent):
        async def _run_async_impl(self, ctx):
            ran.append(True)
            yield ctx.event("should not happen")

    class Gate:
        @hookimpl
        def before_run(self, ctx):
            return Content.from_text("closed for maintenance", role="model")

    runner = InMemoryRunner(Never(name="n"), plugins=[Gate()], auto_create_session=True)
    events = await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("x")))
    assert [e.content.text for e in events] == ["closed for maintenance"]
    assert not ran
    assert len((await stored_session(runner)).events) == 2


async def test_on_event_replacements_chain_in_order(echo_agent):
    class AddA:
        @hookimpl
        def on_event(self, event):
            return event.model_copy(update={"content": Content.from_text(event.content.text + "A")})

    class AddB:
        @hookimpl
        async def on_event(self, ctx, event):
            return event.model_copy(update={"content": Content.from_text(event.content.text + "B")})

    runner = InMemoryRunner(echo_agent, plugins=[AddA(), AddB()], auto_create_session=True)
    events = await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("x")))
    # pluggy calls the last registered first: B sees the original, A sees B's replacement.
    assert events[0].content.text == "echo: xBA"
    assert (await stored_session(runner)).events[-1].content.text == "echo: xBA"


async def test_sync_run_yields_events(echo_agent):
    runner = InMemoryRunner(echo_agent, auto_create_session=True)
    events = list(runner.run(user_id="u", session_id="s", new_message=msg("sync")))
    assert [e.content.text for e in events] == ["echo: sync"]
    await runner.close()


def test_sync_run_early_break_cancels_cleanly():
    started, finished = threading.Event(), []

    class Endless(BaseAgent):
        async def _run_async_impl(self, ctx):
            try:
                for i in range(10_000):
                    started.set()
                    yield ctx.event(f"tick {i}")
                    await asyncio.sleep(0)
            finally:
                finished.append(True)

    recorder = Recorder()
    runner = InMemoryRunner(Endless(name="endless"), plugins=[recorder], auto_create_session=True)
    baseline = threading.active_count()
    for _ in range(3):
        for event in runner.run(user_id="u", session_id="s", new_message=msg("go")):
            if event.content.text == "tick 2":
                break
    assert finished == [True, True, True]
    assert (
        recorder.calls.count("on_run_error:CancelledError")
        + recorder.calls.count("on_run_error:GeneratorExit")
        == 3
    )
    # The session lock was released each time: another run on the session proceeds.
    first = next(iter(runner.run(user_id="u", session_id="s", new_message=msg("again"))))
    assert first.content.text == "tick 0"
    # One background loop thread per runner, reused; no thread per run.
    assert threading.active_count() <= baseline + 1
    asyncio.run(runner.close())
    assert threading.active_count() <= baseline


def test_subclassing_run_keeps_working(echo_agent):
    class Loud(InMemoryRunner):
        def run(self, **kwargs):
            for event in super().run(**kwargs):
                yield event.model_copy(
                    update={"content": Content.from_text(event.content.text.upper())}
                )

    runner = Loud(echo_agent, auto_create_session=True)
    out = list(runner.run(user_id="u", session_id="s", new_message=msg("hey")))
    assert out[0].content.text == "ECHO: HEY"
    asyncio.run(runner.close())


class Slow(BaseAgent):
    async def _run_async_impl(self, ctx):
        for i in range(3):
            await asyncio.sleep(0.01)
            yield ctx.event(f"{ctx.user_content.text}-{i}")


async def test_concurrent_runs_on_one_session_never_interleave():
    runner = InMemoryRunner(Slow(name="slow"), auto_create_session=True)
    await runner.session_service.create_session(app_name=APP, user_id="u", session_id="s")
    await asyncio.gather(
        *(
            collect(runner.run_async(user_id="u", session_id="s", new_message=msg(f"m{n}")))
            for n in range(5)
        )
    )
    session = await stored_session(runner)
    assert len(session.events) == 20
    # Each invocation's events are contiguous.
    ids = [e.invocation_id for e in session.events]
    blocks = [ids[i : i + 4] for i in range(0, 20, 4)]
    assert all(len(set(block)) == 1 for block in blocks)
    assert len({block[0] for block in blocks}) == 5


async def test_busy_session_rejected_when_configured():
    runner = InMemoryRunner(Slow(name="slow"), auto_create_session=True, session_busy="reject")
    await runner.session_service.create_session(app_name=APP, user_id="u", session_id="s")
    first = runner.run_async(user_id="u", session_id="s", new_message=msg("a"))
    await first.__anext__()  # the first run now holds the session
    with pytest.raises(SessionBusyError, match="session_busy='wait'"):
        await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("b")))
    await collect(first)
    # Other sessions are not affected, and the lock is free again afterwards.
    await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("c")))
    await collect(runner.run_async(user_id="u", session_id="other", new_message=msg("d")))


async def test_busy_timeout_gives_up_with_clear_error():
    runner = InMemoryRunner(Slow(name="slow"), auto_create_session=True, busy_timeout=0.01)
    first = runner.run_async(user_id="u", session_id="s", new_message=msg("a"))
    await first.__anext__()
    with pytest.raises(SessionBusyError, match="waited 0.01s"):
        await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("b")))
    await first.aclose()


async def test_close_session_waits_for_running_invocation():
    runner = InMemoryRunner(Slow(name="slow"), auto_create_session=True)
    run = asyncio.create_task(
        collect(runner.run_async(user_id="u", session_id="s", new_message=msg("a")))
    )
    await asyncio.sleep(0.005)
    session = await runner.close_session(user_id="u", session_id="s")
    assert run.done() and len(session.events) == 4
    memories = await runner.memory_service.search_memory(app_name=APP, user_id="u", query="a-2")
    # The run's last event reached memory: close_session waited for the whole run.
    texts = [m.content.text for m in memories.memories]
    assert "a-2" in texts and set(texts) <= {"a", "a-0", "a-1", "a-2"}


async def test_get_session_config_limits_history_given_to_agent():
    seen = []

    class Peek(BaseAgent):
        async def _run_async_impl(self, ctx):
            seen.append(len(ctx.session.events))
            yield ctx.event("ok")

    runner = InMemoryRunner(Peek(name="peek"), auto_create_session=True)
    config = RunConfig(get_session_config=GetSessionConfig(num_recent_events=3))
    for _ in range(4):
        await collect(
            runner.run_async(user_id="u", session_id="s", new_message=msg("x"), run_config=config)
        )
    # Loaded history is capped at 3, plus the user event stored this turn.
    assert seen == [1, 3, 4, 4]


async def test_closed_runner_refuses_work(echo_agent):
    async with InMemoryRunner(echo_agent, auto_create_session=True) as runner:
        await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("x")))
    with pytest.raises(RunnersError, match="closed"):
        await collect(runner.run_async(user_id="u", session_id="s", new_message=msg("x")))


def test_runner_validates_its_arguments(echo_agent):
    with pytest.raises(ValidationError, match="BaseAgent"):
        Runner(app_name="a", agent=object(), session_service=InMemorySessionService())
    with pytest.raises(ValidationError, match="app_name"):
        Runner(app_name="bad name", agent=echo_agent, session_service=InMemorySessionService())
    with pytest.raises(ValidationError, match="session_service"):
        Runner(app_name="a", agent=echo_agent, session_service={})


async def test_resumed_invocation_id_and_state_only_turn(echo_agent):
    runner = InMemoryRunner(echo_agent, auto_create_session=True)
    await collect(
        runner.run_async(
            user_id="u", session_id="s", state_delta={"k": 1}, invocation_id="inv-fixed"
        )
    )
    session = await stored_session(runner)
    assert {e.invocation_id for e in session.events} == {"inv-fixed"}
    assert session.events[0].content is None and session.state["k"] == 1
