"""What every memory area module shares: the service kind and a session builder."""

from __future__ import annotations

from runners_core.content import Content
from runners_core.events import Event
from runners_core.sessions.session import Session
from runners_core.testing.builders import unique
from runners_core.testing.contract import ServiceContract


class MemorySuite(ServiceContract):
    """Base of the memory area classes; not collected (its name does not start with Test)."""

    kind = "memory"

    @staticmethod
    def session_with(
        *texts: str, app_name: str | None = None, user_id: str | None = None
    ) -> Session:
        """A session (never stored anywhere) whose events say *texts*, one per event."""
        return Session(
            id=unique("s"),
            app_name=app_name or unique("app"),
            user_id=user_id or unique("user"),
            events=[
                Event(
                    author="user" if i % 2 == 0 else "agent",
                    invocation_id="inv-1",
                    content=Content.from_text(text, role="user" if i % 2 == 0 else "model"),
                    timestamp=1_700_000_000.0 + i,
                )
                for i, text in enumerate(texts)
            ],
        )


def texts(response: object) -> list[str]:
    """The texts of a search response's memories, in rank order."""
    return [m.content.text for m in response.memories]  # type: ignore[attr-defined]
