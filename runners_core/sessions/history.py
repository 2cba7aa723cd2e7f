"""A loaded session's events: ADK's ``session.events`` list, decoded as it is read.

Decoding JSON into pydantic models costs far more than reading the rows, and most
turns read only the last few events (the runner reads back to the last agent that
spoke). So a backend hands the base class raw stored JSON, and :class:`EventHistory`
decodes an event the first time it is read. A backend may also fetch only the newest
rows and give a *loader* for the older ones, which is called (once, for all of
them) when something reads that far back; the runner never does.

Every load decodes its own objects, so editing a loaded event changes that
session object only, never what later loads return.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, MutableSequence, Sequence
from typing import Any, SupportsIndex, overload

from pydantic import ValidationError as PydanticValidationError

from runners_core.errors import BackendError
from runners_core.events import Event
from runners_core.sessions.decoding import unreadable_event

Payload = str | bytes
Loader = Callable[[], Sequence[Payload]]


class EventHistory(MutableSequence[Event]):
    """A list of events whose stored JSON is decoded on first access.

    Behaves as ``list[Event]``: indexing, slicing (which returns a plain list),
    iteration in both directions, ``len``, ``append`` and the other list methods,
    and equality with lists.
    """

    __slots__ = ("_items", "_loader", "_missing", "_where")

    def __init__(
        self,
        payloads: Iterable[Payload | Event] = (),
        *,
        older: int = 0,
        loader: Loader | None = None,
        where: str = "the backend",
    ) -> None:
        """*payloads* are the newest events; *older* more precede them, fetched by *loader*."""
        if older and loader is None:
            raise ValueError("a history with older events needs a loader")
        self._items: list[Payload | Event] = list(payloads)
        self._missing = older
        self._loader = loader
        self._where = where

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        return self._missing + len(self._items)

    @overload
    def __getitem__(self, index: SupportsIndex) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            positions = range(start, stop, step)
            if positions and min(positions[0], positions[-1]) < self._missing:
                self._load_older()
            return [self._event(i - self._missing) for i in positions]
        position = self._position(index)
        if position < self._missing:
            self._load_older()
        return self._event(position - self._missing)

    def __iter__(self) -> Iterator[Event]:
        if self._missing:
            self._load_older()
        i = 0
        while i < len(self._items):  # tolerates appends during iteration, as a list does
            yield self._event(i)
            i += 1

    def __reversed__(self) -> Iterator[Event]:
        i = len(self._items) - 1
        while i >= 0:
            yield self._event(i)
            i -= 1
        if self._missing:
            missing = self._missing
            self._load_older()
            for j in range(missing - 1, -1, -1):
                yield self._event(j)

    def __contains__(self, value: object) -> bool:
        return any(event == value for event in self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventHistory | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]  # mutable, like list

    def __repr__(self) -> str:
        return repr(list(self))

    def __add__(self, other: Iterable[Event]) -> list[Event]:
        return [*self, *other]

    def __radd__(self, other: Iterable[Event]) -> list[Event]:
        return [*other, *self]

    def copy(self) -> list[Event]:
        return list(self)

    def __copy__(self) -> EventHistory:
        clone = EventHistory(where=self._where)
        clone._items = list(self._items)
        clone._missing, clone._loader = self._missing, self._loader
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> EventHistory:
        clone = self.__copy__()
        clone._items = [
            item if isinstance(item, str | bytes) else copy.deepcopy(item, memo)
            for item in clone._items
        ]
        return clone

    # ------------------------------------------------------------------ changing

    @overload
    def __setitem__(self, index: SupportsIndex, value: Event) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Iterable[Event]) -> None: ...
    def __setitem__(self, index: SupportsIndex | slice, value: Any) -> None:
        self._load_older()
        self._items[index] = value if not isinstance(index, slice) else list(value)

    def __delitem__(self, index: SupportsIndex | slice) -> None:
        self._load_older()
        del self._items[index]

    def insert(self, index: SupportsIndex, value: Event) -> None:
        self._load_older()
        self._items.insert(index, value)

    def append(self, value: Event) -> None:
        self._items.append(value)

    def clear(self) -> None:
        self._items.clear()
        self._missing, self._loader = 0, None

    def sort(self, *, key: Callable[[Event], Any] | None = None, reverse: bool = False) -> None:
        events = list(self)
        events.sort(key=key, reverse=reverse)  # type: ignore[arg-type]
        self._items = list(events)

    # ------------------------------------------------------------------ internals

    def _position(self, index: SupportsIndex) -> int:
        position = index.__index__()
        size = len(self)
        if position < 0:
            position += size
        if not 0 <= position < size:
            raise IndexError("list index out of range")
        return position

    def _event(self, i: int) -> Event:
        item = self._items[i]
        if isinstance(item, Event):
            return item
        try:
            # The validator itself: model_validate_json's wrapper and keyword arguments
            # cost about 5% of a whole-history read.
            event: Event = Event.__pydantic_validator__.validate_json(item)
        except PydanticValidationError as exc:
            position = self._missing + i + 1
            raise unreadable_event(position, len(self), item, self._where, exc) from None
        self._items[i] = event
        return event

    def _load_older(self) -> None:
        if not self._missing:
            return
        assert self._loader is not None
        older = list(self._loader())
        if len(older) != self._missing:
            raise BackendError(
                f"{self._missing} older events of this session were expected from "
                f"{self._where} but {len(older)} were found; the session was deleted or "
                "changed after it was loaded. Load it again"
            )
        self._items[:0] = older
        self._missing, self._loader = 0, None
