"""The conformance kit: the contract every session, memory and artifact backend must pass.

A backend package runs it with a few lines of test code::

    from runners_core.testing import SessionServiceContract

    class TestMySessions(SessionServiceContract):
        @pytest.fixture
        async def service(self, tmp_path):
            svc = MySessionService(tmp_path / "s.db")
            yield svc
            await svc.close()

See docs/conformance.md for capabilities, divergences and the report.
"""

from __future__ import annotations

from runners_core.testing.artifacts import ArtifactServiceContract
from runners_core.testing.contract import DIVERGENCE, UNSUPPORTED, UNTESTABLE, ServiceContract
from runners_core.testing.memory import MemoryServiceContract
from runners_core.testing.sessions import SessionServiceContract

__all__ = [
    "DIVERGENCE",
    "UNSUPPORTED",
    "UNTESTABLE",
    "ArtifactServiceContract",
    "MemoryServiceContract",
    "ServiceContract",
    "SessionServiceContract",
]
