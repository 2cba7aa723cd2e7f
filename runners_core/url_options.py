"""Options in a service URL's query string: one typed model per backend, one way to fail.

A backend declares its options as a pydantic model (subclass :class:`UrlOptions`)
and calls :func:`parse_options`: every value is converted and validated when the
service is built, never at its first use, and an unknown or invalid option is a
:class:`~runners_core.errors.ConfigError` worded the same for every backend,
naming the option, the (redacted) URL and what is accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from runners_core.errors import ConfigError
from runners_core.redaction import MASK, is_secret_name, redact_url

# The longest wait any timeout may ask for: 2**31 milliseconds (about 24.8 days) is
# where the timers underneath (threading, asyncio, libpq, SQLite) overflow or
# silently wait forever.
MAX_SECONDS = 2_147_483.0

Seconds = Annotated[float, Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)]
"""A positive, finite number of seconds that timers can honour."""
NonNegativeSeconds = Annotated[float, Field(ge=0, le=MAX_SECONDS, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
Megabytes = Annotated[float, Field(ge=0, le=1_048_576, allow_inf_nan=False)]

M = TypeVar("M", bound="UrlOptions")


class UrlOptions(BaseModel):
    """Base of a backend's URL options; ``backend`` names it in messages."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    backend: ClassVar[str] = "service"

    @classmethod
    def option_names(cls) -> list[str]:
        """The names as written in URLs (a field's alias where it has one)."""
        return [field.alias or name for name, field in cls.model_fields.items()]

    def values(self) -> dict[str, Any]:
        """The options by their URL names."""
        return self.model_dump(by_alias=True)


def parse_options(
    model: type[M],
    given: Mapping[str, Any] | Iterable[tuple[str, Any]],
    *,
    url: str,
    overrides: Mapping[str, Any] | None = None,
) -> M:
    """*given* (query pairs or a mapping) plus *overrides* as a validated *model*."""
    values = dict(given.items() if isinstance(given, Mapping) else given)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    names = model.option_names()
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ConfigError(
            f"unknown {model.backend} option {unknown[0]!r} in {redact_url(url)}; "
            f"the options are {', '.join(names)}"
        )
    try:
        return model.model_validate(values)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "?"
        value = MASK if is_secret_name(name) else repr(values.get(name))
        field = next((f for n, f in model.model_fields.items() if name in (n, f.alias)), None)
        hint = f" ({field.description})" if field is not None and field.description else ""
        raise ConfigError(
            f"{model.backend} option {name}={value} in {redact_url(url)} is invalid: "
            f"{_reason(error)}{hint}"
        ) from None


def _reason(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid value"))
    kind = error.get("type", "")
    if kind == "literal_error":
        return f"use one of {(error.get('ctx') or {}).get('expected', '')}"
    if kind == "finite_number":
        return "it must be a finite number"
    if kind in ("less_than_equal", "less_than") and "le" in (error.get("ctx") or {}):
        return f"{message} (longer waits overflow the timers underneath)"
    return message
