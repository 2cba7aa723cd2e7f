"""Validation of the identifiers every backend stores: app, user, session, artifact names.

Checks live here once so that each backend gets the same rules (and the same
error messages) from the base classes instead of re-implementing them.
"""

from __future__ import annotations

import re

from runners_core.errors import ValidationError

MAX_ID_LENGTH = 256
MAX_ARTIFACT_NAME_LENGTH = 1024

# Printable, no path separators, no whitespace at either end: safe as a key in
# every backend (SQL row, Redis key segment, file path component, S3 key).
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+=:\-]*")


def validate_id(kind: str, value: object) -> str:
    """Return *value* if it is a usable ``app_name``/``user_id``/``session_id``, else raise."""
    if not isinstance(value, str):
        raise ValidationError(f"{kind} must be a string, got {type(value).__name__}")
    if not value:
        raise ValidationError(f"{kind} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValidationError(
            f"{kind} is {len(value)} characters long; the limit is {MAX_ID_LENGTH}"
        )
    if kind == "app_name" and "/" in value:
        # Vertex-style resource names ("projects/p/locations/l/reasoningEngines/1"):
        # each segment must be a plain identifier, so no path can climb out.
        if all(_ID_PATTERN.fullmatch(segment) for segment in value.split("/")):
            return value
        raise ValidationError(
            f"app_name {value!r} is not a valid identifier: '/'-separated segments must each "
            "use letters, digits and . _ @ + = : - (starting with a letter or digit)"
        )
    if not _ID_PATTERN.fullmatch(value):
        raise ValidationError(
            f"{kind} {value!r} is not a valid identifier: use letters, digits and . _ @ + = : -"
            " (starting with a letter or digit)"
        )
    return value


def validate_artifact_name(filename: object) -> str:
    """Return *filename* if it cannot escape its scope, else raise.

    Names may contain ``/`` to form folders, but never ``..`` segments, absolute
    paths, backslashes, NUL or other control characters.
    """
    if not isinstance(filename, str):
        raise ValidationError(f"artifact name must be a string, got {type(filename).__name__}")
    if not filename:
        raise ValidationError("artifact name must not be empty")
    if len(filename) > MAX_ARTIFACT_NAME_LENGTH:
        raise ValidationError(
            f"artifact name is {len(filename)} characters long; the limit is "
            f"{MAX_ARTIFACT_NAME_LENGTH}"
        )
    try:
        filename.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"artifact name {filename!r} contains {filename[exc.start : exc.end]!r}, a lone "
            "surrogate that is not valid Unicode text; no backend can store it as a name"
        ) from None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in filename):
        raise ValidationError(
            f"artifact name {filename!r} contains a control character (NUL, newline, ...); "
            "remove it"
        )
    if "\\" in filename:
        raise ValidationError(
            f"artifact name {filename!r} contains a backslash; use '/' to separate folders"
        )
    bare = filename.removeprefix("user:")
    if bare.startswith("/") or re.match(r"^[A-Za-z]:", bare):
        raise ValidationError(
            f"artifact name {filename!r} is an absolute path; use a relative name such as "
            "'reports/summary.txt'"
        )
    parts = bare.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValidationError(
            f"artifact name {filename!r} has an empty, '.' or '..' path segment; artifact "
            "names cannot leave their scope"
        )
    return filename
