"""A deterministic chat model for tests, benchmarks and users' own tests.

The reply is a pure function of the input messages, yet it reads like an answer and uses the context:
it acknowledges the last human message and repeats up to two remembered facts found in the system
prompt under `MEMORY_HEADER`, so tests can check that memory reached the model without a real LLM.
"""

import asyncio
import hashlib
import re
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

MEMORY_HEADER = "Known about the user:"
"""Header line of the remembered-facts block in a system prompt; each fact follows as a "- " line."""

_ACK_WORDS = 12
_MAX_FACTS = 2
_CLOSINGS = (
    "How can I help further?",
    "Tell me more.",
    "What would you like to do next?",
    "Anything else on your mind?",
)
_TOKEN = re.compile(r"\w+|[^\w\s]")
_PIECE = re.compile(r"\S+\s*")


def count_tokens(text: str) -> int:
    """Deterministic token count: each run of word characters and each punctuation mark is one token.

    A rough stand-in for a BPE tokenizer (close to it on English prose); only meant to be stable.
    """
    return len(_TOKEN.findall(text))


def remembered_facts(messages: Sequence[BaseMessage]) -> list[str]:
    """The "- " lines that directly follow a `MEMORY_HEADER` line in the system messages, in order."""
    facts: list[str] = []
    for message in messages:
        if not isinstance(message, SystemMessage):
            continue
        in_block = False
        for line in message.text.splitlines():
            stripped = line.strip()
            if MEMORY_HEADER.rstrip(":") in stripped:
                in_block = True
            elif in_block and stripped.startswith("- "):
                facts.append(stripped[2:].strip())
            else:
                in_block = False
    return facts


def fake_reply(messages: Sequence[BaseMessage]) -> str:
    """The reply `FakeChatModel` gives to `messages`."""
    human = next((m.text for m in reversed(messages) if isinstance(m, HumanMessage)), "")
    words = human.split()
    if words:
        quoted = " ".join(words[:_ACK_WORDS]) + (" ..." if len(words) > _ACK_WORDS else "")
        parts = [f'You said: "{quoted}".']
    else:
        parts = ["Hello!"]
    facts = remembered_facts(messages)[:_MAX_FACTS]
    if facts:
        parts.append("I remember: " + "; ".join(fact.rstrip(".") for fact in facts) + ".")
    # A stable digest (not hash(), which is salted per process) picks the closing line.
    digest = hashlib.sha256("\x00".join(f"{m.type}:{m.text}" for m in messages).encode()).digest()
    parts.append(_CLOSINGS[digest[0] % len(_CLOSINGS)])
    return " ".join(parts)


class FakeChatModel(BaseChatModel):
    """Same messages in, same reply out; streams word by word and reports token usage.

    Usage counts come from `count_tokens`: the input is the sum over the messages' text, the output is
    the reply. A stream puts the usage (and the response metadata) on its last chunk only, because
    `AIMessageChunk.__add__` sums usage across chunks.
    """

    latency_s: float = 0.0
    """Simulated delay per streamed piece (word); `invoke` waits as long as a full stream would."""

    @property
    def model_name(self) -> str:
        return "fake"

    @property
    def _llm_type(self) -> str:
        return "fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "latency_s": self.latency_s}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply, pieces = self._reply(messages)
        time.sleep(self.latency_s * len(pieces))
        return self._result(messages, reply)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply, pieces = self._reply(messages)
        await asyncio.sleep(self.latency_s * len(pieces))
        return self._result(messages, reply)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply, pieces = self._reply(messages)
        for i, piece in enumerate(pieces):
            time.sleep(self.latency_s)
            yield self._chunk(messages, reply, piece, last=i == len(pieces) - 1)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        reply, pieces = self._reply(messages)
        for i, piece in enumerate(pieces):
            await asyncio.sleep(self.latency_s)
            yield self._chunk(messages, reply, piece, last=i == len(pieces) - 1)

    @staticmethod
    def _reply(messages: Sequence[BaseMessage]) -> tuple[str, list[str]]:
        """The reply and its streamed pieces (each word with its trailing space; they join to the reply)."""
        reply = fake_reply(messages)
        return reply, _PIECE.findall(reply)

    def _usage(self, messages: Sequence[BaseMessage], reply: str) -> UsageMetadata:
        input_tokens = sum(count_tokens(m.text) for m in messages)
        output_tokens = count_tokens(reply)
        return UsageMetadata(
            input_tokens=input_tokens, output_tokens=output_tokens, total_tokens=input_tokens + output_tokens
        )

    def _result(self, messages: Sequence[BaseMessage], reply: str) -> ChatResult:
        message = AIMessage(
            content=reply,
            usage_metadata=self._usage(messages, reply),
            response_metadata={"model_name": self.model_name, "finish_reason": "stop"},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _chunk(
        self, messages: Sequence[BaseMessage], reply: str, piece: str, *, last: bool
    ) -> ChatGenerationChunk:
        if not last:
            return ChatGenerationChunk(message=AIMessageChunk(content=piece))
        message = AIMessageChunk(
            content=piece,
            usage_metadata=self._usage(messages, reply),
            response_metadata={"model_name": self.model_name, "finish_reason": "stop"},
            chunk_position="last",
        )
        return ChatGenerationChunk(message=message)
