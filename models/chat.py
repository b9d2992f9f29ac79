"""`MnemoChatModel`: the one chat model every node talks to, whatever answers behind it.

It holds a fallback chain of provider models (one or more of fake, local, OpenAI, Gemini) and adds what
no provider package does on its own:
- the next model in the chain answers when one fails (after that provider's own retries), and each
  failure's reason rides on the answer (`response_metadata["mnemo"]["fallbacks"]`), in the log and in
  `mnemo_model_fallbacks_total`; when every model fails, `AllModelsFailed` lists each reason;
- token usage is never silently zero: the provider's own figures when it sends them, else counted with
  its tokenizer (models/tokens.py), else estimated and said so (`usage_source`);
- the cost of the call from the pricing table (models/pricing.py).

A stream falls back only before its first chunk: once the caller has seen part of an answer, another
model can't continue it, so a failure mid-stream is raised as it is.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import reduce
from typing import Any

import httpx
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig

from core.metrics import MODEL_COST_UNKNOWN, MODEL_FALLBACKS, MODEL_USAGE_FILLED
from models.pricing import cost_usd
from models.providers import ModelSpec
from models.tokens import count_usage, count_usage_sync

log = logging.getLogger(__name__)

QUIET: RunnableConfig = {"callbacks": []}
"""Inner calls report nothing to the caller's callbacks: the outer model already does, once per token."""
ESTIMATE_CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Candidate:
    spec: ModelSpec
    model: BaseChatModel


class AllModelsFailed(RuntimeError):
    """Every model of the chain failed; `attempts` holds each one's reason."""

    def __init__(self, attempts: list[dict[str, str]]) -> None:
        self.attempts = attempts
        reasons = "; ".join(f"{a['model']}: {a['reason']}" for a in attempts)
        super().__init__(f"No chat model could answer ({reasons})")

    def summary(self) -> str:
        """For the API's caller: which models failed and how, without the providers' own messages."""
        each = ", ".join(f"{a['model']} ({a['reason'].split(':', 1)[0]})" for a in self.attempts)
        return f"no chat model could answer: {each}; nothing of this turn was stored, retry later"


def failure_kind(exc: BaseException) -> str:
    """A coarse, bounded label for a provider failure (metric label and log)."""
    status = getattr(exc, "status_code", None) or getattr(exc, "code", None)
    if isinstance(exc, TimeoutError | httpx.TimeoutException) or "Timeout" in type(exc).__name__:
        return "timeout"
    if status == 429:
        return "rate_limited"
    if isinstance(status, int) and status >= 500:
        return "server_error"
    if status in (401, 403):
        return "auth"
    if isinstance(status, int):
        return "client_error"
    if isinstance(exc, httpx.TransportError) or "Connection" in type(exc).__name__:
        return "connection"
    return "error"


def failure_reason(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None) or getattr(exc, "code", None)
    http = f" HTTP {status}" if isinstance(status, int) else ""
    detail = " ".join(str(exc).split())[:200]
    return f"{failure_kind(exc)}:{http} {type(exc).__name__}" + (f": {detail}" if detail else "")


def reported_usage(message: AIMessage) -> UsageMetadata | None:
    """The provider's usage, unless absent or all zero (a reply is never free of tokens)."""
    usage = message.usage_metadata
    return usage if usage and (usage.get("input_tokens") or usage.get("output_tokens")) else None


class MnemoChatModel(BaseChatModel):
    """A fallback chain of provider models with usage, cost and failure reasons on every answer."""

    candidates: list[Candidate]

    @property
    def _llm_type(self) -> str:
        return "mnemo"

    @property
    def model_name(self) -> str:
        return self.candidates[0].spec.name

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"chain": [c.spec.label for c in self.candidates]}

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable:
        """The chain's models that support structured output, each falling back to the next."""
        runnables = []
        for candidate in self.candidates:
            try:
                runnables.append(candidate.model.with_structured_output(schema, **kwargs))
            except NotImplementedError:
                continue
        if not runnables:
            raise NotImplementedError("no model of the chain supports structured output")
        return runnables[0].with_fallbacks(runnables[1:]) if len(runnables) > 1 else runnables[0]

    # -- one answer -------------------------------------------------------------------------------------

    async def _agenerate(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> ChatResult:
        failures: list[dict[str, str]] = []
        for candidate in self.candidates:
            try:
                answer = await candidate.model.ainvoke(messages, QUIET, stop=stop, **kwargs)
            except Exception as exc:
                failures.append(self._failed(candidate, exc))
                continue
            usage, meta = await self._aaccount(candidate, messages, answer, failures)
            return _result(answer, usage, meta)
        raise AllModelsFailed(failures)

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> ChatResult:
        failures: list[dict[str, str]] = []
        for candidate in self.candidates:
            try:
                answer = candidate.model.invoke(messages, QUIET, stop=stop, **kwargs)
            except Exception as exc:
                failures.append(self._failed(candidate, exc))
                continue
            usage, meta = self._account(candidate, messages, answer, failures)
            return _result(answer, usage, meta)
        raise AllModelsFailed(failures)

    # -- a stream ---------------------------------------------------------------------------------------

    async def _astream(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        failures: list[dict[str, str]] = []
        for candidate in self.candidates:
            chunks: list[AIMessageChunk] = []
            try:
                async for chunk in candidate.model.astream(messages, QUIET, stop=stop, **kwargs):
                    chunks.append(_not_last(chunk))
                    yield ChatGenerationChunk(message=chunks[-1])
            except Exception as exc:
                if chunks:
                    self._failed(candidate, exc)
                    raise
                failures.append(self._failed(candidate, exc))
                continue
            whole = _joined(chunks)
            usage, meta = await self._aaccount(candidate, messages, whole, failures)
            yield _closing_chunk(whole, usage, meta)
            return
        raise AllModelsFailed(failures)

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        failures: list[dict[str, str]] = []
        for candidate in self.candidates:
            chunks: list[AIMessageChunk] = []
            try:
                for chunk in candidate.model.stream(messages, QUIET, stop=stop, **kwargs):
                    chunks.append(_not_last(chunk))
                    yield ChatGenerationChunk(message=chunks[-1])
            except Exception as exc:
                if chunks:
                    self._failed(candidate, exc)
                    raise
                failures.append(self._failed(candidate, exc))
                continue
            whole = _joined(chunks)
            usage, meta = self._account(candidate, messages, whole, failures)
            yield _closing_chunk(whole, usage, meta)
            return
        raise AllModelsFailed(failures)

    # -- accounting -------------------------------------------------------------------------------------

    def _failed(self, candidate: Candidate, exc: Exception) -> dict[str, str]:
        MODEL_FALLBACKS.labels(candidate.spec.label, failure_kind(exc)).inc()
        reason = failure_reason(exc)
        log.warning("chat model %s failed: %s", candidate.spec.label, reason)
        return {"model": candidate.spec.label, "reason": reason}

    async def _aaccount(self, candidate: Candidate, messages: list[BaseMessage], answer: AIMessage,
                        failures: list[dict[str, str]]) -> tuple[UsageMetadata, dict[str, Any]]:
        counted: tuple[int, int] | Exception | None = None
        if reported_usage(answer) is None:
            try:
                counted = await count_usage(candidate.spec.provider, candidate.model, _reported_name(answer, candidate),
                                            messages, answer.text)
            except Exception as exc:  # settled below as an estimate: a count must not fail the turn
                counted = exc
        return self._settle(candidate, messages, answer, counted, failures)

    def _account(self, candidate: Candidate, messages: list[BaseMessage], answer: AIMessage,
                 failures: list[dict[str, str]]) -> tuple[UsageMetadata, dict[str, Any]]:
        counted: tuple[int, int] | Exception | None = None
        if reported_usage(answer) is None:
            try:
                counted = count_usage_sync(candidate.spec.provider, candidate.model,
                                           _reported_name(answer, candidate), messages, answer.text)
            except Exception as exc:
                counted = exc
        return self._settle(candidate, messages, answer, counted, failures)

    def _settle(self, candidate: Candidate, messages: list[BaseMessage], answer: AIMessage,
                counted: tuple[int, int] | Exception | None, failures: list[dict[str, str]],
                ) -> tuple[UsageMetadata, dict[str, Any]]:
        """The provider's usage; else the tokenizer's count; else an estimate, each labelled as such."""
        if counted is None:
            usage, source = reported_usage(answer), "provider"
        elif isinstance(counted, Exception):
            log.warning("could not count %s tokens: %s", candidate.spec.label, failure_reason(counted))
            usage, source = _estimate(messages, answer.text), "estimate"
        else:
            usage, source = _usage(*counted), "tokenizer"
        return usage, self._meta(candidate, answer, usage, source, failures)

    def _meta(self, candidate: Candidate, answer: AIMessage, usage: UsageMetadata, source: str,
              failures: list[dict[str, str]]) -> dict[str, Any]:
        name = _reported_name(answer, candidate)
        if source != "provider":
            MODEL_USAGE_FILLED.labels(candidate.spec.label, source).inc()
        cost = cost_usd(candidate.spec.provider, name, usage)
        if cost is None:
            MODEL_COST_UNKNOWN.labels(candidate.spec.label).inc()
            log.warning("no price for %s in the pricing table: its cost is not counted", candidate.spec.label)
        return {"provider": candidate.spec.provider, "spec": candidate.spec.label, "model": name,
                "usage_source": source, "cost_usd": cost, "fallbacks": list(failures)}


def _reported_name(answer: AIMessage, candidate: Candidate) -> str:
    meta = answer.response_metadata or {}
    return str(meta.get("model_name") or meta.get("model") or candidate.spec.name)


def _usage(input_tokens: int, output_tokens: int) -> UsageMetadata:
    return UsageMetadata(input_tokens=input_tokens, output_tokens=output_tokens,
                         total_tokens=input_tokens + output_tokens)


def _estimate(messages: list[BaseMessage], reply: str) -> UsageMetadata:
    """About four characters per token: rough, flagged as an estimate, and never zero for real text."""
    def tokens(text: str) -> int:
        return -(-len(text) // ESTIMATE_CHARS_PER_TOKEN)
    return _usage(sum(tokens(m.text) for m in messages), tokens(reply))


def _not_last(chunk: AIMessageChunk) -> AIMessageChunk:
    """Our closing chunk comes after the provider's last one, so only ours may say it is the last."""
    return chunk.model_copy(update={"chunk_position": None}) if chunk.chunk_position else chunk


def _joined(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    return reduce(operator.add, chunks) if chunks else AIMessageChunk(content="")


def _closing_chunk(whole: AIMessageChunk, usage: UsageMetadata, meta: dict[str, Any]) -> ChatGenerationChunk:
    """Usage only if the provider's chunks carried none (chunks' usage is summed), and our metadata."""
    return ChatGenerationChunk(message=AIMessageChunk(
        content="", usage_metadata=None if reported_usage(whole) else usage,
        response_metadata={"mnemo": meta}, chunk_position="last",
    ))


def _result(answer: AIMessage, usage: UsageMetadata, meta: dict[str, Any]) -> ChatResult:
    message = AIMessage(
        content=answer.content, id=answer.id, tool_calls=answer.tool_calls,
        usage_metadata=usage, response_metadata={**(answer.response_metadata or {}), "mnemo": meta},
        additional_kwargs=answer.additional_kwargs,
    )
    return ChatResult(generations=[ChatGeneration(message=message)])
