"""A cheap measure of an event's size, for span events."""

from __future__ import annotations

from runners_core.events import Event


def content_bytes(event: Event) -> int:
    """Bytes of the event's text and inline data.

    Serialising the whole event to measure it would cost as much as storing it;
    text and inline data are what makes events large, and are cheap to count.
    """
    content = event.content
    if content is None:
        return 0
    size = 0
    for part in content.parts:
        if part.text is not None:
            size += len(part.text.encode())
        if part.inline_data is not None and part.inline_data.data is not None:
            size += len(part.inline_data.data)
    return size
