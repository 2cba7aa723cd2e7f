"""The base class of every conformance suite: fixtures, capability gates, divergences.

A suite is a plain pytest class whose ``test_*`` methods come from the *area
modules* of this package (one module per part of the contract, e.g.
``sessions/paging.py``). An area module may set ``CAPABILITY`` to an optional
:class:`~runners_core.capabilities.Capability`; its tests then run only against
services that list it in their ``capabilities`` and are reported as unsupported
otherwise. A service claiming a name that is no capability fails every test.

A backend package subclasses a suite, defines a ``service`` fixture and, if it
must, lists ``divergences`` (test name -> reason). Each divergence runs as a
strict xfail: it is reported, and the suite fails loudly once it is fixed.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from runners_core.capabilities import Capability, unknown_capabilities

UNSUPPORTED = "unsupported capability: "
"""Skip reasons of capability-gated tests start with this (the report greps for it)."""

UNTESTABLE = "untestable capability: "
"""Skip reasons of claimed capabilities the suite cannot exercise (a fixture is missing)."""

DIVERGENCE = "known divergence: "
"""The xfail reason of a test listed in ``divergences``."""


class ServiceContract:
    """Shared machinery of :class:`SessionServiceContract` and its siblings."""

    #: Which service kind the suite checks ("session", "memory", "artifact").
    kind: ClassVar[str] = ""
    #: Known divergences of the backend under test: test name -> written reason.
    divergences: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _mark_kit_tests_async(cls)
        _check_divergences(cls)

    @pytest.fixture
    def service(self) -> Any:
        pytest.fail(
            f"{type(self).__name__} has no `service` fixture: define one that yields a ready "
            f"{self.kind} service (see docs/conformance.md)",
            pytrace=False,
        )

    @pytest.fixture
    def service_url(self) -> str | None:
        """A URL another process can open to reach the same storage (None: not possible)."""
        return None

    @pytest.fixture(autouse=True)
    def _conformance_gate(self, request: pytest.FixtureRequest) -> None:
        """Mark divergences as strict xfail and skip tests of unclaimed capabilities."""
        name = request.function.__name__
        reason = self.divergences.get(name)
        if reason is not None:
            request.applymarker(pytest.mark.xfail(strict=True, reason=DIVERGENCE + reason))
        service = request.getfixturevalue("service")
        claimed = getattr(service, "capabilities", frozenset())
        unknown = unknown_capabilities(claimed)
        if unknown:
            pytest.fail(
                f"{type(service).__name__}.capabilities lists {', '.join(unknown)}, which "
                f"{'is' if len(unknown) == 1 else 'are'} not a capability; use "
                f"runners_core.capabilities.Capability ({', '.join(c.value for c in Capability)})",
                pytrace=False,
            )
        capability = capability_of(request.function)
        if capability is not None and capability not in claimed:
            pytest.skip(
                f"{UNSUPPORTED}{capability} ({type(service).__name__} does not list it in "
                "capabilities)"
            )


def area_of(function: Any) -> str:
    """The contract area of a test: the kit module that defines it (last name part)."""
    module = getattr(function, "__module__", "") or ""
    if not module.startswith(__package__ + "."):
        return "(suite's own tests)"
    return module.rsplit(".", 1)[-1]


def capability_of(function: Any) -> Capability | None:
    """The optional capability a kit test exercises, or None for the required contract."""
    module = sys.modules.get(getattr(function, "__module__", "") or "")
    value = getattr(module, "CAPABILITY", None) if module is not None else None
    if value is None:
        return None
    try:
        return Capability(value)
    except ValueError:
        raise TypeError(
            f"{module.__name__}.CAPABILITY is {value!r}, not a runners_core.capabilities.Capability"
        ) from None


def _check_divergences(cls: type[ServiceContract]) -> None:
    unknown = sorted(
        name
        for name in cls.divergences
        if not (name.startswith("test_") and callable(getattr(cls, name, None)))
    )
    if unknown:
        raise TypeError(
            f"{cls.__name__}.divergences names {unknown}, which are not tests of this suite; "
            "use the test function names shown by `pytest --collect-only`"
        )
    unexplained = sorted(
        name
        for name, reason in cls.divergences.items()
        if not isinstance(reason, str) or not reason.strip()
    )
    if unexplained:
        raise TypeError(
            f"{cls.__name__}.divergences gives no reason for {unexplained}; write down why "
            "the backend differs (e.g. a link to the issue tracking it)"
        )


def _mark_kit_tests_async(cls: type) -> None:
    # Marked explicitly so the kit runs under pytest-asyncio's strict mode too.
    for name, value in vars(cls).items():
        if name.startswith("test_") and inspect.iscoroutinefunction(value):
            marks = getattr(value, "pytestmark", [])
            if not any(mark.name == "asyncio" for mark in marks):
                pytest.mark.asyncio(value)
