"""The runners-core plugin: ``Runner`` and ``runners run`` accept google.adk agents."""

from __future__ import annotations

import sys
from typing import Any

from runners_core import hookimpl


@hookimpl
def adapt_agent(obj: Any) -> Any:
    # An ADK agent object means google.adk is already imported: never import it here
    # for anything else.
    if "google.adk" not in sys.modules:
        return None
    from google.adk.workflow import BaseNode as AdkBaseNode  # agents and workflows

    if not isinstance(obj, AdkBaseNode) and not type(obj).__module__.startswith("google.adk"):
        return None
    from runners_adk.agent import AdkAgent

    return AdkAgent(obj)
