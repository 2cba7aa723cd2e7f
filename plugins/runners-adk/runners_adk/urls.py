"""The ``runners+<scheme>://`` URLs ADK's service registry hands to the adapters."""

from __future__ import annotations

from runners_core.errors import ValidationError

PREFIX = "runners+"


def backend_url(url: str) -> str:
    """The runners-core URL behind *url*: ``runners+sqlite:///a.db`` -> ``sqlite:///a.db``.

    Plain runners-core URLs (``sqlite:///a.db``, ``redis://...``) pass unchanged,
    so the adapters also accept them directly.
    """
    if not isinstance(url, str) or "://" not in url:
        got = "a string without ://" if isinstance(url, str) else type(url).__name__
        raise ValidationError(
            f"expected a backend URL such as 'runners+sqlite:///app.db' or "
            f"'sqlite:///app.db', got {got}"
        )
    return url[len(PREFIX) :] if url.startswith(PREFIX) else url
