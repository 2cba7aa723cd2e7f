"""Converted ADK events, reused across loads of the same sessions.

Building an ADK ``Event`` costs several times what decoding ours does (ADK's and
google-genai's validators), and decoding ours costs far more than reading its row.
ADK's Runner loads the whole session on every invocation (and walks all of it for
rewinds and task scopes), so converting every stored event on every load makes an
invocation's cost grow with the session's length. Two caches avoid that:

* :class:`EventCache`: ADK events by stored event (id and timestamp). A stored
  event never changes, so its conversion can be reused.
* :class:`HistoryCache`: per session, the ADK events of the last load. A new load
  reuses them when the stored history still holds the same event at the last
  position they share (checked by decoding that one event), and converts only the
  events after it. Events are only ever appended to a session's end or deleted
  (retention), and ids are unique in a session, so the same event at the same
  position means the same events before it; a deleted or recreated session fails
  the check and is converted afresh.

Every load gets its own shallow copies of the cached events (nested content is
shared, as ADK treats history read-only and copies before editing).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from google.adk.events.event import Event as AdkEvent

from runners_adk.convert import event_to_adk
from runners_core.events import Event

SessionKey = tuple[str, str, str]


class EventCache:
    """ADK events already converted, by stored event (bounded, oldest dropped first)."""

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._events: OrderedDict[tuple[str, float], AdkEvent] = OrderedDict()

    def to_adk(self, event: Event) -> AdkEvent:
        """A fresh ADK event equal to *event* (a copy of the cached conversion)."""
        return self.master(event).model_copy()

    def master(self, event: Event) -> AdkEvent:
        """The cached conversion itself: never hand it out without copying."""
        key = (event.id, event.timestamp)
        cached = self._events.get(key)
        if cached is None:
            cached = event_to_adk(event)
            self._put(key, cached)
        return cached

    def remember(self, event: Event, adk_event: AdkEvent) -> None:
        """*adk_event* is what *event* (as stored) converts to: keep a copy of it."""
        self._put((event.id, event.timestamp), adk_event.model_copy())

    def _put(self, key: tuple[str, float], adk_event: AdkEvent) -> None:
        self._events[key] = adk_event
        if len(self._events) > self._size:
            self._events.popitem(last=False)


class HistoryCache:
    """The ADK events of each recently loaded session (at most *size* events in all)."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._total = 0
        self._sessions: OrderedDict[SessionKey, list[AdkEvent]] = OrderedDict()
        self.events = EventCache(size)

    def to_adk(self, key: SessionKey, history: Sequence[Event]) -> list[AdkEvent]:
        """ADK events equal to a session's full *history*, as a new list of new objects."""
        cached = self._sessions.get(key)
        count = len(history)
        shared = min(count, len(cached)) if cached else 0
        if shared:
            last, mine = history[shared - 1], cached[shared - 1]  # type: ignore[index]
            if last.id != mine.id or last.timestamp != mine.timestamp:
                shared = 0
        masters = cached[:shared] if cached and shared else []
        masters.extend(self.events.master(history[i]) for i in range(shared, count))
        if cached is None or shared == 0 or count > len(cached):
            self._keep(key, masters)
        else:
            self._sessions.move_to_end(key)
        return [event.model_copy() for event in masters]

    def forget(self, key: SessionKey) -> None:
        dropped = self._sessions.pop(key, None)
        if dropped is not None:
            self._total -= len(dropped)

    def _keep(self, key: SessionKey, masters: list[AdkEvent]) -> None:
        self.forget(key)
        if len(masters) > self._size:
            return
        self._sessions[key] = masters
        self._total += len(masters)
        while self._total > self._size:
            _, dropped = self._sessions.popitem(last=False)
            self._total -= len(dropped)
