"""What may be stored: values that serialise to JSON and load back as they were.

A value that serialises but cannot be parsed again (nested deeper than the JSON
parser's recursion limit, ``inf``/``nan`` written as ``null`` into a float field)
would make its whole session unreadable. So every write is checked here first,
once, in the base classes; the error names the state key or event field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from runners_core.errors import ValidationError

MAX_DEPTH = 64
"""How deeply lists and dicts may nest inside one state value or event field.

pydantic's JSON parser refuses documents nested ~200 levels deep; an event wraps
a value in a few levels of its own, so 64 leaves a wide margin on every backend.
"""

_HINT = "store strings, numbers, booleans, None, and lists and dicts of them"


def check_state(state: dict[str, Any], what: str = "state") -> None:
    """Raise ValidationError unless every key and value of *state* can be stored."""
    if not isinstance(state, dict):
        raise ValidationError(f"{what} must be a dict, got {type(state).__name__}")
    for key, value in state.items():
        if not isinstance(key, str):
            raise ValidationError(
                f"{what} key {key!r} is a {type(key).__name__}; state keys must be strings"
            )
        _check_text(key, f"{what} key {key[:80]!r}")
        check_value(value, f"{what}[{key!r}]")


def check_no_nul(state: Mapping[str, Any], what: str, backend: str) -> None:
    """Raise ValidationError naming the key if *state* holds the NUL character anywhere.

    For backends whose state storage cannot hold it (PostgreSQL's jsonb), so that the
    refusal names the key, as every other refusal does, before anything is written.
    """
    for key, value in state.items():
        where = f"{what} key {key[:80]!r}" if "\x00" in key else _nul_in(value, f"{what}[{key!r}]")
        if where is not None:
            raise ValidationError(
                f"{where} contains the NUL character (\\x00), which {backend} cannot store "
                "in state; remove it, or encode the value (e.g. base64) first"
            )


def _nul_in(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return f"{where} key {key[:80]!r}"
            found = _nul_in(item, f"{where}[{key!r}]")
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _nul_in(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def check_value(value: Any, where: str) -> None:
    """Raise ValidationError (naming *where*) unless *value* is plain, finite JSON data."""
    _walk(value, where, 0)


def check_storable(model: BaseModel, where: str) -> None:
    """Raise ValidationError (naming *where* and the field) unless *model* can be stored
    as JSON and loaded again; for models other than events (memory content)."""
    _walk_model(model, where, 0)


def check_event_storable(event: BaseModel) -> None:
    """Raise ValidationError naming the field of *event* that could not be loaded again."""
    # Every append checks its event: a quick pass that only answers yes or no comes
    # first, and the walk that names the offending field runs only when it says no.
    if not _model_is_plain(event, 0):
        _walk_model(event, f"event {getattr(event, 'id', '?')}", 0)


def _model_is_plain(model: BaseModel, depth: int) -> bool:
    """Whether :func:`_walk_model` would pass *model*; never less strict than it."""
    depth += 1
    if depth > MAX_DEPTH:
        return all(value is None for value in model.__dict__.values())
    for value in model.__dict__.values():
        # Most fields hold None, ASCII text, a number or an empty container: answered
        # inline (this runs for every field of every appended event).
        kind = type(value)
        if value is None or kind is bool or kind is int or (kind is str and value.isascii()):
            continue
        # Empty containers (most of EventActions) and finite floats (timestamps) too.
        if ((kind is dict or kind is list) and not value) or (
            kind is float and math.isfinite(value)
        ):
            continue
        if not _is_plain(value, depth, True):
            return False
    return True


def _is_plain(value: Any, depth: int, in_model: bool, contained: bool = False) -> bool:
    """Whether :func:`_walk` would pass *value*, without building the paths it reports."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, str):
        return value.isascii() or _is_text(value)
    if isinstance(value, float):
        return math.isfinite(value)
    if value is None or isinstance(value, int):
        return True
    if isinstance(value, dict):
        if value and depth >= MAX_DEPTH:
            return False  # its items are too deep, whatever they are
        for key, item in value.items():
            if not isinstance(key, str) or not (key.isascii() or _is_text(key)):
                return False
            kind = type(item)
            if item is None or kind is int or (kind is str and item.isascii()):
                continue
            if not _is_plain(item, depth + 1, in_model, True):
                return False
        return True
    if isinstance(value, (list, tuple)):
        for item in value:
            if not _is_plain(item, depth + 1, in_model, True):
                return False
        return True
    if isinstance(value, BaseModel):
        return in_model and _model_is_plain(value, depth)
    return in_model and not contained


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk_model(model: BaseModel, where: str, depth: int) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None:
            continue
        _walk(value, f"{where}.{name}", depth + 1, in_model=True)


def _walk(
    value: Any, where: str, depth: int, *, in_model: bool = False, contained: bool = False
) -> None:
    if depth > MAX_DEPTH:
        where = where if len(where) <= 120 else where[:100] + "..."
        raise ValidationError(
            f"{where} is nested more than {MAX_DEPTH} levels deep; it could not be loaded "
            "again. Flatten it, or store it as an artifact"
        )
    if isinstance(value, str):
        _check_text(value, where)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(
                f"{where} is {value!r}; JSON has no infinity or NaN, so it could not be loaded "
                "again. Store a finite number, None or a string"
            )
    elif value is None or isinstance(value, int):
        return
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(
                    f"{where} has the key {key!r} ({type(key).__name__}); keys must be strings "
                    "(JSON objects have string keys only)"
                )
            _check_text(key, f"{where} key")
            _walk(item, f"{where}[{key!r}]", depth + 1, in_model=in_model, contained=True)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, f"{where}[{index}]", depth + 1, in_model=in_model, contained=True)
    elif isinstance(value, BaseModel):
        if not in_model:
            raise ValidationError(
                f"{where} holds a {type(value).__name__} model, which reads back as a plain "
                f"dict; store value.model_dump(mode='json') instead"
            )
        _walk_model(value, where, depth)
    elif not in_model or contained:
        # Inside a free-form dict or list (custom_metadata, function args) nothing types
        # the value: bytes there would come back as text, or not serialise at all.
        raise ValidationError(
            f"{where} holds a value of type {type(value).__name__}, which does not read back "
            f"from JSON as it was written; {_HINT}"
        )
    # Else a typed model field (bytes, enum, ...): its pydantic serialiser handles it.


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"{where} contains {text[exc.start : exc.end]!r} at position {exc.start}, a lone "
            "surrogate that is not valid Unicode text; it cannot be stored as UTF-8"
        ) from None
