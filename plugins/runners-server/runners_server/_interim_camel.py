"""INTERIM: ADK's camelCase JSON until runners_core's models carry their own aliases.

The adk engineer is adding camelCase aliases to Event/Content; when that lands
on main this module is deleted and ``wire`` dumps the models by alias. Keys
under the names below hold user data (state keys, tool arguments, file names)
and keep their spelling.
"""

from __future__ import annotations

from typing import Any

_OPAQUE = {"state", "state_delta", "args", "response", "custom_metadata", "artifact_delta"}


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _snake(key: str) -> str:
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in key)


def camelize(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel(k): (v if k in _OPAQUE else camelize(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v) for v in value]
    return value


def snakify(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = _snake(k)
            out[key] = v if key in _OPAQUE else snakify(v)
        return out
    if isinstance(value, list):
        return [snakify(v) for v in value]
    return value
