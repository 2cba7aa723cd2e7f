"""Readable terminal rendering of events: who spoke, what, and what it changed.

Agent text is rendered as plain :class:`rich.text.Text`, never as markup, so
brackets in a reply cannot restyle (or break) the output.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from runners_core.events import Event

USER_STYLE = "bold green"
AGENT_STYLE = "bold cyan"
DETAIL_STYLE = "dim"
MAX_VALUE_CHARS = 80


def short_value(value: Any) -> str:
    """A one-line JSON rendering of *value*, shortened for the terminal."""
    try:
        rendered = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        rendered = repr(value)
    if len(rendered) > MAX_VALUE_CHARS:
        rendered = rendered[: MAX_VALUE_CHARS - 1] + "…"
    return rendered


def clock(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


class EventRenderer:
    """Prints events to a rich console, one block per event."""

    def __init__(self, console: Console, *, show_time: bool = False) -> None:
        self.console = console
        self.show_time = show_time

    def render(self, event: Event, *, dim: bool = False) -> None:
        if event.partial:
            return  # the complete event follows; it is what gets stored
        lines = [self._headline(event)]
        lines.extend(self._details(event))
        for line in lines:
            if dim:
                line.stylize("dim")
            self.console.print(line, soft_wrap=True)

    def render_partial(self, event: Event) -> None:
        """A streamed chunk (``partial=True``), dim on its own line: shown, never stored."""
        body = self._body(event)
        if body is None:
            return
        name = "you" if event.author == "user" else event.author
        line = Text(f"{name} … ", DETAIL_STYLE)
        line.append_text(body)
        line.stylize(DETAIL_STYLE)
        self.console.print(line, soft_wrap=True)

    def _headline(self, event: Event) -> Text:
        style = USER_STYLE if event.author == "user" else AGENT_STYLE
        name = "you" if event.author == "user" else event.author
        head = Text()
        if self.show_time:
            head.append(f"[{clock(event.timestamp)}] ", style=DETAIL_STYLE)
        head.append(f"{name}: ", style=style)
        body = self._body(event)
        if body is not None:
            head.append_text(body)
        elif event.actions.is_empty():
            head.append("(no content)", DETAIL_STYLE)
        return head

    @staticmethod
    def _body(event: Event) -> Text | None:
        parts = []
        if event.content is not None:
            for part in event.content.parts:
                if part.text is not None and not part.thought:
                    parts.append(Text(part.text))
                elif part.function_call is not None:
                    call = part.function_call
                    parts.append(Text(f"calls {call.name}({short_value(call.args)})", "yellow"))
                elif part.function_response is not None:
                    result = part.function_response
                    parts.append(
                        Text(f"{result.name} returned {short_value(result.response)}", "yellow")
                    )
                elif part.inline_data is not None:
                    blob = part.inline_data
                    parts.append(
                        Text(f"<{blob.mime_type or 'bytes'}, {len(blob.data)} bytes>", "dim")
                    )
                elif part.file_data is not None:
                    parts.append(Text(f"<file {part.file_data.file_uri}>", "dim"))
        if event.error_code or event.error_message:
            parts.append(
                Text(f"error {event.error_code or ''}: {event.error_message or ''}", "bold red")
            )
        if not parts:
            return None
        return Text("\n").join(parts)

    @staticmethod
    def _details(event: Event) -> list[Text]:
        actions = event.actions
        details = []
        indent = "   "
        if actions.state_delta:
            changes = ", ".join(f"{k} = {short_value(v)}" for k, v in actions.state_delta.items())
            details.append(Text(f"{indent}state: {changes}", DETAIL_STYLE))
        for name, version in actions.artifact_delta.items():
            details.append(Text(f"{indent}artifact saved: {name} (version {version})", "magenta"))
        if actions.transfer_to_agent:
            details.append(Text(f"{indent}→ transfer to {actions.transfer_to_agent}", "blue"))
        if actions.escalate:
            details.append(Text(f"{indent}↑ escalates", "blue"))
        return details
