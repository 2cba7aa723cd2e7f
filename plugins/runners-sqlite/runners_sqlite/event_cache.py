"""Decoded events kept between loads, so a session's history is decoded once per process.

Decoding JSON into pydantic models costs far more than reading it from SQLite,
and a runner loads its session at the start of every invocation. Stored events
never change and a session's ``pk`` is never reused (``AUTOINCREMENT``), so an
event decoded once stays valid for as long as its session exists: a load reads
from the database only the events this process has not decoded yet. Writes by
other processes only ever add events with higher ``seq``, which are fetched.

Each session keeps one contiguous run of sequence numbers. Sessions are evicted
least recently used first once the estimated size passes the budget
(``event_cache_mb``; 0 turns the cache off). All methods run on the database's
worker thread, so no locking is needed. Like the in-memory service, loads share
event objects: treat returned events as read-only.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from runners_core.events import Event

# Rough size of a decoded event beyond its JSON text (models, dicts, object headers).
_OVERHEAD = 2048

Decode = Callable[[list[str]], list[Event]]

_RANGE = "SELECT payload FROM events WHERE session_pk = ? AND seq BETWEEN ? AND ? ORDER BY seq"


@dataclass
class _Run:
    """Events ``lo``, ``lo + 1``, ... of one session, decoded."""

    lo: int
    events: list[Event] = field(default_factory=list)
    costs: list[int] = field(default_factory=list)

    @property
    def hi(self) -> int:
        return self.lo + len(self.events) - 1

    @property
    def cost(self) -> int:
        return sum(self.costs)


class EventCache:
    """Per-session runs of decoded events, bounded by an estimated size."""

    def __init__(self, budget_bytes: int, decode: Decode) -> None:
        self.budget = budget_bytes
        self._decode = decode
        self._runs: OrderedDict[int, _Run] = OrderedDict()
        self._size = 0

    def events(
        self, conn: sqlite3.Connection, session_pk: int, first: int, last: int
    ) -> list[Event]:
        """Events ``first..last`` (inclusive) of the session, oldest first."""
        if first > last:
            return []
        if self.budget <= 0:
            return self._uncached(conn, session_pk, first, last)
        run = self._runs.get(session_pk)
        if run is None or first > run.hi + 1 or last < run.lo - 1:
            # Nothing cached next to this range: the session's run starts afresh.
            self.forget(session_pk)
            fetched = self._fetch(conn, session_pk, first, last)
            if fetched is None:
                return self._uncached(conn, session_pk, first, last)
            run = _Run(first, *fetched)
            self._runs[session_pk] = run
            self._size += run.cost
        else:
            below = self._fetch(conn, session_pk, first, run.lo - 1) if first < run.lo else ([], [])
            above = self._fetch(conn, session_pk, run.hi + 1, last) if last > run.hi else ([], [])
            if below is None or above is None:
                self.forget(session_pk)
                return self._uncached(conn, session_pk, first, last)
            run.events[:0], run.costs[:0] = below
            run.lo -= len(below[0])
            run.events.extend(above[0])
            run.costs.extend(above[1])
            self._size += sum(below[1]) + sum(above[1])
        self._runs.move_to_end(session_pk)
        result = run.events[first - run.lo : last - run.lo + 1]
        self._evict(session_pk)
        return result

    def forget(self, session_pk: int) -> None:
        """Drop a session's events (it was deleted, or its run is being replaced)."""
        if session_pk in self._runs:
            self._drop(session_pk)

    def clear(self) -> None:
        self._runs.clear()
        self._size = 0

    @property
    def size(self) -> int:
        """The estimated bytes held (for tests and diagnostics)."""
        return self._size

    # ------------------------------------------------------------------ internals

    def _fetch(
        self, conn: sqlite3.Connection, session_pk: int, first: int, last: int
    ) -> tuple[list[Event], list[int]] | None:
        """Decoded events ``first..last`` and their costs; None if the range has gaps."""
        payloads = [p for (p,) in conn.execute(_RANGE, (session_pk, first, last))]
        if len(payloads) != last - first + 1:
            return None  # not written by runners-sqlite's appends: do not cache around it
        return self._decode(payloads), [len(p) + _OVERHEAD for p in payloads]

    def _uncached(
        self, conn: sqlite3.Connection, session_pk: int, first: int, last: int
    ) -> list[Event]:
        return self._decode([p for (p,) in conn.execute(_RANGE, (session_pk, first, last))])

    def _drop(self, session_pk: int) -> None:
        self._size -= self._runs.pop(session_pk).cost

    def _evict(self, keep: int) -> None:
        """Drop least recently used sessions, then the oldest events of *keep*, to fit."""
        while self._size > self.budget and len(self._runs) > 1:
            self._drop(next(iter(self._runs)))  # *keep* was just moved to the end
        run = self._runs.get(keep)
        if run is None or self._size <= self.budget:
            return
        cut = 0
        while self._size > self.budget and cut < len(run.events):
            self._size -= run.costs[cut]
            cut += 1
        del run.events[:cut], run.costs[:cut]
        run.lo += cut
        if not run.events:
            del self._runs[keep]
