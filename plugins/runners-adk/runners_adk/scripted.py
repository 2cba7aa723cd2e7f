"""A scripted ``google.adk`` model: answers from a list, no network, no key.

Used by the tests, the example app and the benchmark. Each turn of the script is
what the model answers to one call: text, function calls, a transfer, or an
error. A turn may also be a callable that gets the ``LlmRequest`` and returns one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.genai import types
from pydantic import Field, PrivateAttr

Turn = str | dict[str, Any] | LlmResponse | Callable[[LlmRequest], Any]


def _usage(words: int) -> types.GenerateContentResponseUsageMetadata:
    # Made-up but consistent counts, so token accounting has something to add up.
    return types.GenerateContentResponseUsageMetadata(
        prompt_token_count=10, candidates_token_count=words, total_token_count=10 + words
    )


def text(answer: str) -> LlmResponse:
    """A final text answer."""
    return LlmResponse(
        content=types.Content(role="model", parts=[types.Part(text=answer)]),
        finish_reason=types.FinishReason.STOP,
        usage_metadata=_usage(len(answer.split())),
    )


def call(name: str, **args: Any) -> LlmResponse:
    """A function call of tool *name* with *args*."""
    return LlmResponse(
        content=types.Content(
            role="model",
            parts=[types.Part(function_call=types.FunctionCall(name=name, args=args))],
        ),
        finish_reason=types.FinishReason.STOP,
        usage_metadata=_usage(1),
    )


def transfer(agent_name: str) -> LlmResponse:
    """A transfer to *agent_name* (ADK's ``transfer_to_agent`` tool)."""
    return call("transfer_to_agent", agent_name=agent_name)


def error(code: str, message: str) -> LlmResponse:
    """A model error response."""
    return LlmResponse(error_code=code, error_message=message)


class ScriptedLlm(BaseLlm):
    """Answers each model call with the next turn of ``script`` (cycling when ``loop``).

    ``delay`` seconds pass before each answer (to test cancellation mid-call).
    ``requests`` keeps every request received, for assertions.
    """

    model: str = "scripted"
    script: list[Any] = Field(default_factory=list)
    loop: bool = False
    delay: float = 0.0
    _next: int = PrivateAttr(default=0)
    _requests: list[LlmRequest] = PrivateAttr(default_factory=list)
    _called: asyncio.Event | None = PrivateAttr(default=None)

    @classmethod
    def supported_models(cls) -> list[str]:
        return [r"scripted.*"]

    @property
    def requests(self) -> Sequence[LlmRequest]:
        return self._requests

    async def wait_for_call(self) -> None:
        """Return once the model has received a request (at once if it already has)."""
        if self._called is None:
            self._called = asyncio.Event()
        if self._requests:
            return
        await self._called.wait()

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        self._requests.append(llm_request)
        if self._called is not None:
            self._called.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._next >= len(self.script):
            if not self.loop or not self.script:
                yield error("SCRIPT_EXHAUSTED", f"the script has only {len(self.script)} turns")
                return
            self._next = 0
        turn = self.script[self._next]
        self._next += 1
        if callable(turn) and not isinstance(turn, LlmResponse):
            turn = turn(llm_request)
        if isinstance(turn, str):
            turn = text(turn)
        elif isinstance(turn, dict):
            turn = LlmResponse.model_validate(turn)
        yield turn.model_copy(deep=True)
