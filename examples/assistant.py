"""A model-free assistant that exercises everything a runner does, with deterministic replies.

Run it (from the repository root, after ``bash scripts/setup.sh``)::

    .venv/bin/runners run examples/assistant.py:root_agent -m "hello" --session demo
    .venv/bin/runners run examples/assistant.py:root_agent --session demo   # chat

What it shows:

* **state of each scope**: ``turns`` counts this session's turns, ``user:turns``
  the user's turns across all sessions, ``app:turns`` everyone's; a ``temp:``
  key marks that the current invocation has been counted, so the two agents
  never count a turn twice, and it is never stored;
* **a transfer between two agents**: ``note <text>`` makes the assistant hand
  the turn to the ``notetaker`` sub-agent (an event with
  ``actions.transfer_to_agent``); the next turn starts with the notetaker (the
  agent that spoke last: both agents declare ``disallow_transfer_to_parent``,
  which marks them as LLM-style agents that may keep the conversation, as
  ADK's rule asks), which hands anything that is not a note back;
* **artifacts**: the notetaker saves every note as a new version of ``notes.md``;
* **streamed replies**: when the caller asks for streaming (``runners serve``'s
  ``/run_sse`` with ``"streaming": true``, as its web UI does), each reply comes
  word by word as partial events (shown, never stored) before the whole reply;
* **memory across sessions**: ``recall <words>`` searches the memory service.
  ``runners run`` closes the session when it ends (``Runner.close_session``),
  which adds the session's events to memory, so a later session, or a later run
  of this one, finds them.

Commands it understands: ``hello``, ``note <text>``, ``notes``, ``recall <words>``,
``state``, ``help``; anything else is echoed back.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from runners_core import BaseAgent, Event, EventActions, InvocationContext, Part, StreamingMode

NOTES_FILE = "notes.md"
COUNTED = "temp:turn_counted"
HELP = (
    "Try: 'note <text>' (saved as an artifact by the notetaker), 'notes', "
    "'recall <words>' (searches your earlier sessions), 'state', 'help'."
)


def user_text(ctx: InvocationContext) -> str:
    return ctx.user_content.text.strip() if ctx.user_content else ""


def count_turn(ctx: InvocationContext) -> int:
    """Count this turn once in every scope; returns the session's turn number."""
    state = ctx.state
    if not state.get(COUNTED):
        state[COUNTED] = True
        state["turns"] = state.get("turns", 0) + 1
        state["user:turns"] = state.get("user:turns", 0) + 1
        state["app:turns"] = state.get("app:turns", 0) + 1
    return state["turns"]


def say(ctx: InvocationContext, text: str) -> list[Event]:
    """The reply as events: word by word first (partial) when the caller streams."""
    events = []
    if ctx.run_config.streaming_mode == StreamingMode.SSE:
        words = text.split(" ")
        events = [
            ctx.event(word + (" " if i < len(words) - 1 else ""), partial=True)
            for i, word in enumerate(words)
        ]
    return [*events, ctx.event(text)]


def is_note(text: str) -> bool:
    return text.lower().startswith("note ") and bool(text[5:].strip())


class Notetaker(BaseAgent):
    """Saves notes as versions of an artifact; hands every other message back."""

    disallow_transfer_to_parent: bool = False

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        text = user_text(ctx)
        if not is_note(text):
            yield ctx.event(actions=EventActions(transfer_to_agent="assistant"))
            return
        count_turn(ctx)
        note = text[5:].strip()
        previous = await ctx.load_artifact(NOTES_FILE)
        body = previous.text if previous and previous.text else "# Notes\n"
        version = await ctx.save_artifact(NOTES_FILE, Part(text=f"{body}- {note}\n"))
        notes = ctx.state.get("notes", 0) + 1
        ctx.state["notes"] = notes
        for event in say(
            ctx,
            f"Noted: {note!r}. This session has {notes} note(s); {NOTES_FILE} is now at "
            f"version {version}. Say 'notes' to read them.",
        ):
            yield event


class Assistant(BaseAgent):
    """Greets, counts, reports state, searches memory; passes notes to the notetaker."""

    disallow_transfer_to_parent: bool = False

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        text = user_text(ctx)
        if is_note(text):
            count_turn(ctx)
            yield ctx.event(
                "Passing that to the notetaker.",
                actions=EventActions(transfer_to_agent="notetaker"),
            )
            return
        turn = count_turn(ctx)
        command, _, rest = text.partition(" ")
        command = command.lower()
        if command in ("hello", "hi", ""):
            reply = self.greeting(ctx, turn)
        elif command == "notes":
            notes = await ctx.load_artifact(NOTES_FILE)
            reply = notes.text.strip() if notes and notes.text else "No notes yet. " + HELP
        elif command == "recall":
            reply = await self.recall(ctx, rest.strip())
        elif command == "state":
            reply = self.describe_state(ctx)
        elif command == "help":
            reply = HELP
        else:
            reply = f"You said {text!r} (turn {turn} of this session). {HELP}"
        for event in say(ctx, reply):
            yield event

    @staticmethod
    def greeting(ctx: InvocationContext, turn: int) -> str:
        state = ctx.state
        opening = "Hello!" if turn == 1 else "Welcome back!"
        reply = (
            f"{opening} This is turn {turn} of session {ctx.session.id}; you have taken "
            f"{state['user:turns']} turn(s) across your sessions and this app has served "
            f"{state['app:turns']}."
        )
        return f"{reply} {HELP}" if turn == 1 else reply

    @staticmethod
    async def recall(ctx: InvocationContext, query: str) -> str:
        if not query:
            return "Recall what? Say 'recall <words>'."
        found = await ctx.search_memory(query)
        # Only what the user said: the assistant's own replies would echo the query.
        said = [
            m
            for m in found.memories
            if m.author == "user" and not m.content.text.lower().startswith("recall")
        ]
        if not said:
            return (
                f"Nothing about {query!r} in your earlier sessions yet (a session reaches "
                "memory when its run ends)."
            )
        lines = [f"From your earlier sessions, about {query!r}:"]
        lines += [f"- {m.content.text}" for m in sorted(said, key=lambda m: m.timestamp or "")]
        return "\n".join(lines)

    @staticmethod
    def describe_state(ctx: InvocationContext) -> str:
        values = ctx.state.to_dict()
        shown = {k: v for k, v in sorted(values.items()) if not k.startswith("temp:")}
        return "State: " + ", ".join(f"{k}={v!r}" for k, v in shown.items())


root_agent = Assistant(
    name="assistant",
    description="Greets, counts turns, recalls earlier sessions, hands notes to the notetaker.",
    sub_agents=[Notetaker(name="notetaker", description="Keeps the user's notes in notes.md.")],
)
