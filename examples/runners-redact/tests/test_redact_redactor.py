"""The redactor: Luhn-checked card numbers, extra patterns, bad patterns."""

from __future__ import annotations

import pytest
from runners_redact import Redactor, luhn_valid


@pytest.mark.parametrize(
    "number",
    ["4111111111111111", "5500005555555559", "378282246310005", "6011 1111 1111 1117"],
)
def test_known_test_card_numbers_pass_luhn(number: str) -> None:
    assert luhn_valid(number.replace(" ", ""))


def test_luhn_rejects_a_changed_digit() -> None:
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pay with 4111111111111111 please", "pay with [REDACTED] please"),
        ("4111 1111 1111 1111", "[REDACTED]"),
        ("4111-1111-1111-1111.", "[REDACTED]."),
        ("amex 378282246310005, visa 4111111111111111", "amex [REDACTED], visa [REDACTED]"),
    ],
)
def test_card_numbers_are_redacted(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 4111111111111112 (fails Luhn)",
        "phone 555-0100",
        "12 digits 123456789012",
        "a 20-digit id 41111111111111111111",
        "",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert Redactor().redact(text) == text


def test_extra_patterns_and_replacement() -> None:
    redactor = Redactor(patterns=[r"\bACCT-\d{4}\b"], replacement="<x>")
    assert redactor.redact("ACCT-1234 paid by 4111111111111111") == "<x> paid by <x>"


def test_card_detection_can_be_turned_off() -> None:
    redactor = Redactor(patterns=[r"secret"], cards=False)
    assert redactor.redact("secret 4111111111111111") == "[REDACTED] 4111111111111111"


def test_a_bad_pattern_names_the_pattern_and_the_setting() -> None:
    with pytest.raises(ValueError, match=r"'\(unclosed'.*\[tool\.runners_core\.plugins\.redact\]"):
        Redactor(patterns=["(unclosed"])
