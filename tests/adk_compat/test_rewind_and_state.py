"""rewind_async and reading app/user state without a session."""

from __future__ import annotations

import pytest

from runners_core import BaseAgent, Content, InMemoryRunner, Part
from runners_core.errors import InvocationNotFoundError


class Writer(BaseAgent):
    """Each turn: sets state from the message and saves it as an artifact."""

    disallow_transfer_to_parent: bool = False

    async def _run_async_impl(self, ctx):
        text = ctx.user_content.text
        ctx.state["last"] = text
        ctx.state[f"seen_{text}"] = True
        ctx.state["user:turns"] = ctx.state.get("user:turns", 0) + 1
        await ctx.save_artifact("log.txt", Part(text=text))
        if text == "two":
            await ctx.save_artifact("extra.txt", Part(text="only in two"))
        yield ctx.event(f"wrote {text}")


async def turn(runner, text):
    events = [
        e
        async for e in runner.run_async(
            user_id="u", session_id="s", new_message=Content.from_text(text)
        )
    ]
    return events[0].invocation_id


async def test_rewind_restores_session_state_and_artifacts():
    runner = InMemoryRunner(Writer(name="writer"), auto_create_session=True)
    await turn(runner, "one")
    second = await turn(runner, "two")
    await turn(runner, "three")

    await runner.rewind_async(user_id="u", session_id="s", rewind_before_invocation_id=second)

    session = await runner.session_service.get_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )
    assert session.state["last"] == "one"
    assert session.state["seen_one"] is True
    assert session.state["seen_two"] is None and session.state["seen_three"] is None
    assert session.state["user:turns"] == 3  # user scope is shared: not rewound
    rewind = session.events[-1]
    assert rewind.author == "user" and rewind.actions.rewind_before_invocation_id == second
    artifacts = runner.artifact_service
    at = {"app_name": runner.app_name, "user_id": "u", "session_id": "s"}
    assert await artifacts.load_artifact(**at, filename="log.txt") == Part(text="one")
    assert await artifacts.load_artifact(**at, filename="extra.txt") is None
    assert await artifacts.list_versions(**at, filename="log.txt") == [0, 1, 2, 3]


async def test_the_next_turn_after_a_rewind_ignores_rewound_agents():
    runner = InMemoryRunner(Writer(name="writer"), auto_create_session=True)
    first = await turn(runner, "one")
    await runner.rewind_async(user_id="u", session_id="s", rewind_before_invocation_id=first)
    await turn(runner, "again")
    session = await runner.session_service.get_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )
    assert session.state["last"] == "again" and session.state["seen_one"] is None


async def test_rewinding_an_unknown_invocation_is_a_clear_error():
    runner = InMemoryRunner(Writer(name="writer"), auto_create_session=True)
    await turn(runner, "one")
    with pytest.raises(InvocationNotFoundError, match="no event of invocation 'nope'"):
        await runner.rewind_async(user_id="u", session_id="s", rewind_before_invocation_id="nope")


async def test_user_and_app_state_read_without_a_session():
    runner = InMemoryRunner(Writer(name="writer"), auto_create_session=True)
    await turn(runner, "one")
    await runner.session_service.create_session(
        app_name=runner.app_name, user_id="other", state={"app:motd": "hello"}
    )
    service = runner.session_service
    assert await service.get_user_state(app_name=runner.app_name, user_id="u") == {"user:turns": 1}
    assert await service.get_app_state(app_name=runner.app_name) == {"app:motd": "hello"}
