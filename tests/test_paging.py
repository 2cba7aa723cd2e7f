"""Page tokens are read in one place: every forged token is a ValidationError naming it."""

from __future__ import annotations

import base64

import pytest

from runners_core.errors import ValidationError
from runners_core.paging import (
    EVENT_CURSOR,
    MEMORY_CURSOR,
    SESSION_CURSOR,
    decode_page_token,
    encode_page_token,
    next_page,
    read_page_token,
)


def raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def test_tokens_round_trip_with_their_types() -> None:
    assert decode_page_token(encode_page_token("u", "s"), SESSION_CURSOR) == ["u", "s"]
    assert decode_page_token(encode_page_token(2**63 - 1), EVENT_CURSOR) == [2**63 - 1]
    token = encode_page_token(1_700_000_000.25, "u", "m")
    assert decode_page_token(token, MEMORY_CURSOR) == [1_700_000_000.25, "u", "m"]
    assert decode_page_token(encode_page_token(17, "u", "m"), MEMORY_CURSOR)[0] == 17.0
    assert read_page_token(None, EVENT_CURSOR) is None
    assert read_page_token("", EVENT_CURSOR) is None


@pytest.mark.parametrize(
    ("token", "kinds"),
    [
        (encode_page_token(1, 2), SESSION_CURSOR),
        (encode_page_token("7"), EVENT_CURSOR),
        (encode_page_token(2**63), EVENT_CURSOR),
        (encode_page_token(-1), EVENT_CURSOR),
        (encode_page_token(True), EVENT_CURSOR),
        (encode_page_token(10**400, "u", "m"), MEMORY_CURSOR),
        (raw("[1e999]"), EVENT_CURSOR),
        (raw("[NaN]"), EVENT_CURSOR),
        (raw('{"a": 1}'), EVENT_CURSOR),
        (raw("[" * 5000), EVENT_CURSOR),
        (raw("[" + "9" * 5000 + "]"), EVENT_CURSOR),
        ("%%%", EVENT_CURSOR),
        ("ü", EVENT_CURSOR),
        ("A" * 10_000, EVENT_CURSOR),
        (0, EVENT_CURSOR),
        (b"abc", EVENT_CURSOR),
    ],
)
def test_forged_tokens_are_validation_errors_naming_the_token(
    token: object, kinds: tuple[type, ...]
) -> None:
    with pytest.raises(ValidationError, match="page_token"):
        read_page_token(token, kinds)


def test_next_page_slices_and_makes_a_token_only_when_more_follow() -> None:
    assert next_page([1, 2, 3], 2, lambda n: (n,)) == ([1, 2], encode_page_token(2))
    assert next_page([1, 2], 2, lambda n: (n,)) == ([1, 2], None)
    assert next_page([], 2, lambda n: (n,)) == ([], None)
