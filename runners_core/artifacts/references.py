"""``artifact://`` references: a Part whose ``file_data`` points at another artifact.

The URI shapes are ADK's::

    artifact://apps/{app}/users/{user}/sessions/{session}/artifacts/{name}/versions/{n}
    artifact://apps/{app}/users/{user}/artifacts/{name}/versions/{n}

A reference may only point inside the app and user (and, when session-scoped,
the session) it is stored in, so a reference can never read another user's
artifacts; chains are followed at most :data:`MAX_DEPTH` hops.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runners_core.content import Part
from runners_core.errors import ValidationError

MAX_DEPTH = 5
SCHEME = "artifact://"
_SEGMENT = r"[^/]+"
_SESSION_URI = re.compile(
    rf"artifact://apps/({_SEGMENT})/users/({_SEGMENT})/sessions/({_SEGMENT})"
    r"/artifacts/(.+)/versions/(\d+)"
)
_USER_URI = re.compile(
    rf"artifact://apps/({_SEGMENT})/users/({_SEGMENT})/artifacts/(.+)/versions/(\d+)"
)


@dataclass(frozen=True)
class ArtifactRef:
    """Where a reference points."""

    app_name: str
    user_id: str
    session_id: str | None
    filename: str
    version: int


def is_reference(part: Part) -> bool:
    uri = part.file_data.file_uri if part.file_data is not None else None
    return bool(uri) and uri.startswith(SCHEME)  # type: ignore[union-attr]


def artifact_uri(
    app_name: str, user_id: str, filename: str, version: int, session_id: str | None = None
) -> str:
    """The ``artifact://`` URI of one version (session-scoped when *session_id* is given)."""
    scope = f"sessions/{session_id}/" if session_id else ""
    return f"{SCHEME}apps/{app_name}/users/{user_id}/{scope}artifacts/{filename}/versions/{version}"


def checked_reference(
    uri: str, *, app_name: str, user_id: str, session_id: str | None
) -> ArtifactRef:
    """The target of *uri*, refused unless it stays in the caller's app, user and session."""
    if match := _SESSION_URI.fullmatch(uri):
        app, user, session, filename, version = match.groups()
    elif match := _USER_URI.fullmatch(uri):
        (app, user, filename, version), session = match.groups(), None
    else:
        raise ValidationError(
            f"artifact reference {uri!r} is not an artifact:// URI of the form "
            "artifact://apps/APP/users/USER[/sessions/SESSION]/artifacts/NAME/versions/N"
        )
    if app != app_name or user != user_id:
        raise ValidationError(
            f"artifact reference {uri!r} points outside app {app_name!r}, user {user_id!r}; "
            "references must stay within the same app and user"
        )
    if session is not None and session != session_id:
        raise ValidationError(
            f"artifact reference {uri!r} points into another session; session-scoped "
            "references must stay within the same session"
        )
    return ArtifactRef(app, user, session, filename, int(version))
