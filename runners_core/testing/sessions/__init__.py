"""The session service contract, one module per area (see each module's docstring)."""

from __future__ import annotations

from runners_core.testing.sessions.atomic_state import AtomicState
from runners_core.testing.sessions.concurrency import Concurrency
from runners_core.testing.sessions.cross_process import CrossProcess
from runners_core.testing.sessions.history import History
from runners_core.testing.sessions.idempotency import Idempotency
from runners_core.testing.sessions.imports import Imports
from runners_core.testing.sessions.isolation import Isolation
from runners_core.testing.sessions.lifecycle import Lifecycle
from runners_core.testing.sessions.paging import Paging
from runners_core.testing.sessions.payloads import Payloads
from runners_core.testing.sessions.retention import Retention
from runners_core.testing.sessions.state_scopes import StateScopes
from runners_core.testing.sessions.storable import Storable
from runners_core.testing.sessions.ttl import Ttl
from runners_core.testing.sessions.validation import Validation


class SessionServiceContract(
    Lifecycle,
    StateScopes,
    History,
    Paging,
    Idempotency,
    Imports,
    Isolation,
    Validation,
    Storable,
    Payloads,
    Concurrency,
    AtomicState,
    CrossProcess,
    Ttl,
    Retention,
):
    """Every session-service rule. Subclass it as ``Test...`` and define a ``service`` fixture.

    Optional fixtures: ``service_url``, a URL another process can open to reach the
    same storage (for the cross-process tests of ``"cross_process_lock"``), and
    ``ttl_service`` (with ``ttl_seconds``), a service whose sessions expire (for ``"ttl"``).
    """


__all__ = ["SessionServiceContract"]
