"""A scripted ``google.adk`` model: answers from a list, no network, no key.

Used by the tests, the example app and the benchmark. Each turn of the script is
what the model answers to one call: text, function calls, a transfer, or an
error. A turn may also be a callable that gets the ``LlmRequest`` and returns one.

It also speaks ADK's live protocol (``connect()``): each content sent on the
connection (a user message, or the function responses ADK sends back after
running tools) is answered with the next turn, followed by a ``turn_complete``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from google.adk.models.base_llm import BaseLlm
from google.adk.models.base_llm_connection import BaseLlmConnection
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
        yield await self._answer(llm_request)

    @asynccontextmanager
    async def connect(self, llm_request: LlmRequest) -> AsyncIterator[ScriptedConnection]:
        """A live connection answering from the same script."""
        connection = ScriptedConnection(self, llm_request)
        try:
            yield connection
        finally:
            await connection.close()

    async def _answer(self, llm_request: LlmRequest) -> LlmResponse:
        self._requests.append(llm_request)
        if self._called is not None:
            self._called.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._next >= len(self.script):
            if not self.loop or not self.script:
                return error("SCRIPT_EXHAUSTED", f"the script has only {len(self.script)} turns")
            self._next = 0
        turn = self.script[self._next]
        self._next += 1
        if callable(turn) and not isinstance(turn, LlmResponse):
            turn = turn(llm_request)
        if isinstance(turn, str):
            turn = text(turn)
        elif isinstance(turn, dict):
            turn = LlmResponse.model_validate(turn)
        return turn.model_copy(deep=True)


class ScriptedConnection(BaseLlmConnection):
    """One live session with a :class:`ScriptedLlm`.

    ``sent`` keeps what ADK sent (the history, then each content or blob), and each
    answer's request carries the conversation so far, as a real model would see it.
    """

    def __init__(self, llm: ScriptedLlm, llm_request: LlmRequest) -> None:
        self._llm = llm
        self._request = llm_request
        self._contents: list[types.Content] = list(llm_request.contents)
        self._answers: asyncio.Queue[LlmResponse | None] = asyncio.Queue()
        self.sent: list[types.Content | types.Blob] = []
        self.closed = False

    async def send_history(self, history: list[types.Content]) -> None:
        self._contents = list(history)
        self.sent.extend(history)
        if history and history[-1].role == "user":
            await self._reply()

    async def send_content(self, content: types.Content) -> None:
        self.sent.append(content)
        self._contents.append(content)
        await self._reply()

    async def send_realtime(self, blob: types.Blob) -> None:
        self.sent.append(blob)  # audio and video are kept, never answered

    async def receive(self) -> AsyncGenerator[LlmResponse, None]:
        while True:
            answer = await self._answers.get()
            if answer is None:  # closed: the connection ends
                return
            yield answer
            if answer.turn_complete:
                return

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._answers.put_nowait(None)

    async def _reply(self) -> None:
        request = self._request.model_copy(update={"contents": list(self._contents)})
        answer = await self._llm._answer(request)
        if answer.content is not None:
            self._contents.append(answer.content)
        self._answers.put_nowait(answer)
        self._answers.put_nowait(LlmResponse(turn_complete=True))
