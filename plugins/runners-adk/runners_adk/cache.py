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

  Backends fetch only a session's newest events with a load (see
  runners_core.sessions.history), so the checked event must be a recent one: when
  this process stores an event of a session whose cached events are exactly those
  the storing caller's session holds, :meth:`HistoryCache.extend` appends it to
  them (an invocation that stores 40 events would otherwise push the checked
  position out of the tail, and the next load would fetch every older row). The
  events up to the last load's are *verified*, the stored ones after them
  presumed to follow directly: the next load checks the newest presumed one, and
  if another writer's events came in between, falls back to checking the last
  verified one (as before this existed) and converts what follows it afresh.

Loads share the cached events instead of copying them (a copy costs a few
microseconds an event, so copying made every load cost in proportion to the
history). Each load gets its own list, and the cached events are
:class:`SharedEvent` objects: the first attribute assignment to one turns it into a
plain ADK ``Event`` owned by whoever wrote to it, and the cache stops serving it
(later loads get a fresh conversion). Copies of a shared event (``model_copy``,
``copy.copy``, ``copy.deepcopy``) are plain ADK events. Nested objects (content,
parts, actions and their dicts) are shared and not watched, as before: ADK treats
history read-only and copies before editing (``_contents``, ``_rearranger``), and
so must other code that edits loaded events in place below the top level.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from google.adk.events.event import Event as AdkEvent

from runners_adk.convert import event_to_adk
from runners_core.events import Event

SessionKey = tuple[str, str, str]


class _Writes:
    """How many shared events have been written to (released) in this process."""

    count = 0


class SharedEvent(AdkEvent):
    """A cached ADK event handed to several loads; behaves as ``Event`` in every way
    ADK uses one (``isinstance``, equality, dumps, copies), until written to."""

    def __setattr__(self, name: str, value: Any) -> None:
        _release(self)
        setattr(self, name, value)

    def __delattr__(self, name: str) -> None:
        _release(self)
        delattr(self, name)

    def __copy__(self) -> AdkEvent:
        copied = super().__copy__()
        object.__setattr__(copied, "__class__", AdkEvent)
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> AdkEvent:
        copied = super().__deepcopy__(memo)
        object.__setattr__(copied, "__class__", AdkEvent)
        return copied

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AdkEvent):
            return NotImplemented
        return (
            self.__dict__ == other.__dict__
            and self.__pydantic_private__ == other.__pydantic_private__
            and self.__pydantic_extra__ == other.__pydantic_extra__
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr_name__(self) -> str:
        return "Event"


def _release(event: SharedEvent) -> None:
    """*event* becomes a plain ADK event; caches drop it on their next load."""
    object.__setattr__(event, "__class__", AdkEvent)
    _Writes.count += 1


def _shared(event: AdkEvent) -> SharedEvent:
    """*event* itself, as a shared event (the caller must not keep another reference)."""
    object.__setattr__(event, "__class__", SharedEvent)
    return event  # type: ignore[return-value]


class EventCache:
    """ADK events already converted, by stored event (bounded, oldest dropped first)."""

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._events: OrderedDict[tuple[str, float], SharedEvent] = OrderedDict()

    def to_adk(self, event: Event) -> SharedEvent:
        """The ADK event equal to *event*, shared with other loads (see the module)."""
        key = (event.id, event.timestamp)
        cached = self._events.get(key)
        if cached is None or type(cached) is not SharedEvent:  # new, or written to
            cached = _shared(event_to_adk(event))
            self._put(key, cached)
        return cached

    def remember(self, event: Event, adk_event: AdkEvent) -> None:
        """*adk_event* is what *event* (as stored) converts to: keep a copy of it."""
        self._put((event.id, event.timestamp), _shared(adk_event.model_copy()))

    def _put(self, key: tuple[str, float], adk_event: SharedEvent) -> None:
        self._events[key] = adk_event
        if len(self._events) > self._size:
            self._events.popitem(last=False)


class HistoryCache:
    """The ADK events of each recently loaded session (at most *size* events in all)."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._total = 0
        # Per session: its shared events, _Writes.count when they were last checked,
        # and how many of them a load verified (the rest were stored since, by us).
        self._sessions: OrderedDict[SessionKey, tuple[list[SharedEvent], int, int]] = OrderedDict()
        self.events = EventCache(size)

    def to_adk(self, key: SessionKey, history: Sequence[Event]) -> list[AdkEvent]:
        """ADK events equal to a session's full *history*, in a new list; the events
        are shared with other loads (see the module)."""
        entry = self._sessions.get(key)
        cached = entry[0] if entry else None
        verified = entry[2] if entry else 0
        if cached and entry[1] != _Writes.count:  # type: ignore[index]
            # Some shared event was written to since: keep the prefix before the first
            # of this session's that was (written ones are the writers' now).
            kept = next((i for i, e in enumerate(cached) if type(e) is not SharedEvent), None)
            if kept is not None:
                cached = cached[:kept]
                verified = min(verified, kept)
        count = len(history)
        shared = min(count, len(cached)) if cached else 0
        if shared and not _same(history, cached, shared):  # type: ignore[arg-type]
            # Another writer's events came between ours (or some were deleted): check
            # the last verified one instead, and convert everything after it.
            shared = verified if shared > verified else 0
            if shared and not _same(history, cached, shared):  # type: ignore[arg-type]
                shared = 0
        if cached is not None and shared == count == len(cached):
            events = cached
            if entry is not None and cached is not entry[0]:
                self._keep(key, events)
            else:
                self._sessions[key] = (events, _Writes.count, count)
                self._sessions.move_to_end(key)
        else:
            events = cached[:shared] if cached and shared else []
            events.extend(self.events.to_adk(history[i]) for i in range(shared, count))
            if cached is None or shared == 0 or count > len(cached) or shared < len(cached):
                self._keep(key, events)
        return list(events)

    def extend(
        self, key: SessionKey, count: int, last: AdkEvent | Event | None, stored: Event
    ) -> None:
        """*stored* was just stored in the session, by a caller whose session held
        *count* events before it, the last of them *last*: if those are this
        session's cached events, the stored event (converted, shared) follows them."""
        entry = self._sessions.get(key)
        if entry is None:
            return
        cached = entry[0]
        if len(cached) != count or (
            last is not None
            and (cached[-1].id != last.id or cached[-1].timestamp != last.timestamp)
        ):
            return
        if len(cached) >= self._size:
            self.forget(key)
            return
        cached.append(self.events.to_adk(stored))
        self._total += 1
        self._sessions.move_to_end(key)
        while self._total > self._size:
            _, dropped = self._sessions.popitem(last=False)
            self._total -= len(dropped[0])

    def forget(self, key: SessionKey) -> None:
        dropped = self._sessions.pop(key, None)
        if dropped is not None:
            self._total -= len(dropped[0])

    def _keep(self, key: SessionKey, events: list[SharedEvent]) -> None:
        self.forget(key)
        if len(events) > self._size:
            return
        self._sessions[key] = (events, _Writes.count, len(events))
        self._total += len(events)
        while self._total > self._size:
            _, dropped = self._sessions.popitem(last=False)
            self._total -= len(dropped[0])


def _same(history: Sequence[Event], cached: list[SharedEvent], shared: int) -> bool:
    """Whether the stored event at position *shared* - 1 is the cached one there."""
    last, mine = history[shared - 1], cached[shared - 1]
    return last.id == mine.id and last.timestamp == mine.timestamp
