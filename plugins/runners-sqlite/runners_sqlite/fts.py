"""Turning a user's free-text query into FTS5 terms that cannot fail to parse.

FTS5 gives quotes, ``*``, ``^``, ``:``, parentheses and the words AND/OR/NOT/NEAR
meaning; a user asking about "C++ (or NOT?)" means none of it. Each word becomes
a quoted string. Search matches entries containing any of them; ranking counts
how many of the words an entry contains first (bm25 alone favours short entries,
and in a small collection its word weights are all near zero) and bm25 second.
"""

from __future__ import annotations

from runners_core.memory.base import tokenize

# Each word costs one look-up in the index when ranking; long queries keep the first ones.
MAX_WORDS = 16


def quoted_words(query: str) -> list[str]:
    """*query*'s distinct words as FTS5 strings, in order (at most :data:`MAX_WORDS`)."""
    words = list(dict.fromkeys(tokenize(query)))[:MAX_WORDS]
    return ['"' + word.replace('"', '""') + '"' for word in words]


def any_of(terms: list[str]) -> str:
    """The MATCH expression for entries containing at least one of *terms*."""
    return " OR ".join(terms)
