"""The key layout: every Redis key and index member this package writes.

Keys are ``/``-separated. User and session ids (``runners_core.identifiers``) and the
prefix never contain ``/``; an app name may (``/``-separated segments, as Vertex resource
names). Session, lock and state keys end in a fixed number of single-segment parts after
the app, so two different (app, user, session) triples never map to the same key even
though ids may contain ``:``. Memory keys end in one part (``records``) or two (``t/<word>``,
``s/<session>``), so there the app is written as one segment, its ``/`` as ``|`` (a
character no identifier has): otherwise app ``x/y`` with user ``t`` would share its
``records`` key with the posting of the word ``records`` of app ``x``, user ``y``.

Members of the per-app session index are ``user#session``: ``#`` sorts below
every character an identifier may contain, so the index's byte order equals
the ``(user_id, id)`` order ``list_sessions`` promises (``ab#z`` < ``ab-x#a``,
as ``("ab", "z")`` < ``("ab-x", "a")``).
"""

from __future__ import annotations

from dataclasses import dataclass

MEMBER_SEPARATOR = "#"
_AFTER_SEPARATOR = chr(ord(MEMBER_SEPARATOR) + 1)


@dataclass(frozen=True)
class SessionKeys:
    """The keys of one session; all share the session's TTL."""

    meta: str  # hash: created, updated, nonce; its existence is the session's existence
    state: str  # hash: session-scope state key -> JSON value
    events: str  # list: event JSON, oldest first (the index is the sequence number)
    event_ids: str  # set: ids of stored events, for idempotent appends

    @property
    def expiring(self) -> tuple[str, str, str, str]:
        return (self.meta, self.state, self.events, self.event_ids)


class KeySpace:
    """Builds keys under one prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def app_state(self, app_name: str) -> str:
        return f"{self.prefix}/app/{app_name}/state"

    def user_state(self, app_name: str, user_id: str) -> str:
        return f"{self.prefix}/user/{app_name}/{user_id}/state"

    def session_index(self, app_name: str) -> str:
        """Sorted set (all scores 0) of ``user#session`` members, read by lexical range."""
        return f"{self.prefix}/app/{app_name}/sessions"

    def session(self, app_name: str, user_id: str, session_id: str) -> SessionKeys:
        base = f"{self.prefix}/session/{app_name}/{user_id}/{session_id}"
        return SessionKeys(f"{base}/meta", f"{base}/state", f"{base}/events", f"{base}/ids")

    def lock(self, app_name: str, user_id: str, session_id: str) -> str:
        return f"{self.prefix}/lock/{app_name}/{user_id}/{session_id}"

    def memory_base(self, app_name: str, user_id: str) -> str:
        """Memory keys start with this: ``records`` (hash), ``t/<word>``, ``s/<session>``."""
        return f"{self.prefix}/memory/{memory_app(app_name)}/{user_id}/"

    def memory_records_pattern(self, app_name: str) -> str:
        """A SCAN pattern for every user's ``records`` hash of one app (may over-match:
        check candidates with :meth:`memory_records_user`)."""
        return _glob_escape(f"{self.prefix}/memory/{memory_app(app_name)}/") + "*/records"

    def memory_records_user(self, app_name: str, key: str) -> str | None:
        """The user whose ``records`` hash *key* is, or None if it is another key."""
        head, tail = f"{self.prefix}/memory/{memory_app(app_name)}/", "/records"
        if not (key.startswith(head) and key.endswith(tail)):
            return None
        user = key[len(head) : -len(tail)]
        return user if user and "/" not in user else None

    def pattern(self) -> str:
        """A SCAN pattern matching every key under this prefix."""
        return _glob_escape(self.prefix) + "/*"


def memory_app(app_name: str) -> str:
    """*app_name* as the one key segment of memory keys (see the module's docstring)."""
    return app_name.replace("/", "|")


def index_member(user_id: str, session_id: str) -> str:
    return f"{user_id}{MEMBER_SEPARATOR}{session_id}"


def split_member(member: str) -> tuple[str, str]:
    user_id, session_id = member.split(MEMBER_SEPARATOR, 1)
    return user_id, session_id


def user_range(user_id: str) -> tuple[str, str]:
    """Inclusive start and exclusive end (ZRANGE BYLEX syntax) of one user's members."""
    return f"[{user_id}{MEMBER_SEPARATOR}", f"({user_id}{_AFTER_SEPARATOR}"


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)
