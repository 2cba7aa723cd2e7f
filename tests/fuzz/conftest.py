"""The fuzz suite: hypothesis profiles and one fixture per backend.

Profiles (pick one with ``HYPOTHESIS_PROFILE=<name>``; ``ci`` is the default):

* ``ci``: a fixed, derandomised budget of examples per property, so the whole suite
  takes about a minute on a loaded machine and never flakes between runs;
* ``dev``: ten times as many examples, random each run (a few minutes);
* ``long``: for hunting, e.g. overnight (``HYPOTHESIS_PROFILE=long pytest tests/fuzz``).

Each backend fixture runs the services on one event loop for the whole test (the
examples of a property share it), with fresh identifiers per example, so examples
never see each other's data. PostgreSQL and Redis tests skip when the server is
unreachable, except under ``CI=true`` where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fuzz_backends import ARTIFACT_BACKENDS, SESSION_BACKENDS, Backend, make_backend
from hypothesis import HealthCheck, settings

_COMMON: dict[str, Any] = {
    "deadline": None,  # backends on a shared, loaded machine: time is not a property
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "print_blob": True,
}
CI_EXAMPLES = 25
settings.register_profile("ci", max_examples=CI_EXAMPLES, derandomize=True, **_COMMON)
settings.register_profile("dev", max_examples=10 * CI_EXAMPLES, **_COMMON)
settings.register_profile("long", max_examples=5000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(params=SESSION_BACKENDS)
def sessions_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    backend = make_backend(request.param, tmp_path, kinds=("sessions",))
    yield backend
    backend.close()


@pytest.fixture(params=SESSION_BACKENDS)
def memory_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    backend = make_backend(request.param, tmp_path, kinds=("memory",))
    yield backend
    backend.close()


@pytest.fixture(params=ARTIFACT_BACKENDS)
def artifacts_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    backend = make_backend(request.param, tmp_path, kinds=("artifacts",))
    yield backend
    backend.close()
