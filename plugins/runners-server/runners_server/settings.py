"""What one server needs to start: agents, backends, security and limits.

The settings travel to every worker process as JSON in one environment variable
(uvicorn's ``--workers`` and ``--reload`` import the app by name in fresh
processes), so everything here is plain data; agents are loaded from their
references in each process.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from runners_core.errors import ConfigError

ENV_VAR = "RUNNERS_SERVER_SETTINGS"
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
PLUGIN_TABLE = "[tool.runners_core.plugins.server]"


class ServerSettings(BaseModel):
    """Everything ``create_app`` needs besides the agents themselves."""

    model_config = ConfigDict(extra="forbid")

    agents: list[str] = Field(
        default_factory=list, description="agent references (path/to/file.py:attr or module:attr)"
    )
    agents_dir: str | None = Field(
        default=None, description="a folder of agent packages, one app per subfolder (as ADK)"
    )
    app_name: str | None = Field(default=None, description="app name of a single agent")
    session_service: str | None = None
    memory_service: str | None = None
    artifact_service: str | None = None
    session_busy: Literal["wait", "reject"] | None = Field(
        default=None, description="default busy policy of /run (None: the runner's config)"
    )
    busy_timeout: float | None = Field(default=None, ge=0)
    auth_tokens_file: str | None = Field(
        default=None, description="JSON file mapping bearer tokens to user ids; enables auth"
    )
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, gt=0)
    ui: bool = Field(default=True, description="serve the web UI at /ui")

    def to_env(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_env(cls) -> ServerSettings:
        raw = os.environ.get(ENV_VAR)
        if not raw:
            raise ConfigError(
                f"{ENV_VAR} is not set; start the server with 'runners serve AGENT', or build "
                "the app in Python with runners_server.create_app(ServerSettings(...))"
            )
        return cls.model_validate_json(raw)


def read_tokens(path: str) -> dict[str, str]:
    """The token -> user id map of an auth file; errors never show a token."""
    file = Path(path).expanduser()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the auth tokens file {file}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"the auth tokens file {file} is not valid JSON (line {exc.lineno}); write an "
            'object mapping each token to a user id: {"<token>": "alice"}'
        ) from None
    if not isinstance(data, dict) or not data:
        raise ConfigError(
            f"the auth tokens file {file} must be a non-empty JSON object mapping each token "
            'to a user id: {"<token>": "alice"}'
        )
    from runners_core.identifiers import validate_id

    tokens: dict[str, str] = {}
    for index, (token, user_id) in enumerate(data.items()):
        if not isinstance(token, str) or len(token) < 16:
            raise ConfigError(
                f"entry {index + 1} of the auth tokens file {file} has a token shorter than 16 "
                "characters; use long random tokens (python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')"
            )
        try:
            tokens[token] = validate_id("user_id", user_id)
        except Exception as exc:
            raise ConfigError(f"entry {index + 1} of the auth tokens file {file}: {exc}") from None
    return tokens
