"""One model spec (`fake`, `local`, `local:/path.gguf`, `openai:<model>`, `gemini:<model>`) -> a LangChain
chat model with our options applied: temperature, max tokens, timeout and retries.

Retries with backoff on 429 and 5xx are the provider SDKs' own (openai: exponential backoff honouring
Retry-After; google-genai: `HttpRetryOptions`, exponential backoff on 408/429/5xx); we set how many and
how long one request may take. Hosted providers are imported only when asked for.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from langchain_core.language_models import BaseChatModel

from models.fake import FakeChatModel
from models.llama import LlamaChatModel, default_model_path

SPEC_FORMS = (
    "local (the bundled SmolLM2-135M-Instruct)",
    "local:/path/to/model.gguf",
    "fake (deterministic, for tests)",
    "fake:<seconds per word> (the same, streaming at that pace: for load and fault tests)",
    "openai:<model>",
    "gemini:<model>",
)
API_KEY_VARS = {"openai": ("OPENAI_API_KEY",), "gemini": ("GOOGLE_API_KEY", "GEMINI_API_KEY")}
PACKAGES = {"openai": ("langchain_openai", "ChatOpenAI", "langchain-openai"),
            "gemini": ("langchain_google_genai", "ChatGoogleGenerativeAI", "langchain-google-genai")}


class ModelConfigError(ValueError):
    """The model spec can't be served: unknown form, missing file, missing package or API key."""


@dataclass(frozen=True)
class ModelOptions:
    """How to call a model; hashable, so a process keeps one client per distinct set."""

    temperature: float | None = None  # None: the model's default (local: 0.3)
    max_tokens: int = 160
    timeout_s: float = 60.0
    max_retries: int = 2
    local: tuple[tuple[str, Any], ...] = ()  # extra LlamaChatModel fields: n_threads, n_ctx, prefix_cache...


@dataclass(frozen=True)
class ModelSpec:
    label: str  # the spec as written: "openai:gpt-4o-mini", "local"
    provider: str  # fake | local | openai | gemini
    name: str  # the model name (local: the file's stem)
    path: Path | None = None  # local models only
    latency_s: float = 0.0  # fake only: seconds per streamed word


def parse_spec(spec: str) -> ModelSpec:
    spec = spec.strip()
    kind, _, arg = spec.partition(":")
    if spec == "fake":
        return ModelSpec(spec, "fake", "fake")
    if kind == "fake":
        try:
            latency = float(arg)
        except ValueError:
            latency = -1.0
        if not 0 <= latency <= 10:
            raise ModelConfigError(f"{spec!r}: give the fake model's seconds per word, 0 to 10 (fake:0.02)")
        return ModelSpec(spec, "fake", "fake", latency_s=latency)
    if spec == "local":
        try:
            path = default_model_path()
        except FileNotFoundError as exc:
            raise ModelConfigError(str(exc)) from exc
        return ModelSpec(spec, "local", path.stem, path)
    if kind == "local" and arg:
        path = Path(arg).expanduser()
        if not path.is_file():
            raise ModelConfigError(f"Model file not found for spec {spec!r}: {path}")
        return ModelSpec(spec, "local", path.stem, path)
    if kind in PACKAGES and arg.strip():
        return ModelSpec(spec, kind, arg.strip())
    raise ModelConfigError(f"Unknown chat model spec {spec!r}; use one of: " + ", ".join(SPEC_FORMS))


def parse_chain(specs: str) -> list[ModelSpec]:
    """`openai:gpt-4o-mini, gemini:gemini-2.5-flash, local`: a fallback chain, first choice first."""
    parts = [part.strip() for part in specs.split(",") if part.strip()]
    if not parts:
        raise ModelConfigError("No chat model given; use one of: " + ", ".join(SPEC_FORMS))
    return [parse_spec(part) for part in parts]


def build_model(spec: ModelSpec, options: ModelOptions, transport: httpx.BaseTransport | None = None) -> BaseChatModel:
    """The LangChain model for `spec`. `transport` replaces the network for hosted providers (tests)."""
    if spec.provider == "fake":
        return FakeChatModel(latency_s=spec.latency_s)
    if spec.provider == "local":
        extra = dict(options.local)
        if options.temperature is not None:
            extra["temperature"] = options.temperature
        return LlamaChatModel(model_path=str(spec.path), max_tokens=options.max_tokens, **extra)
    chat_class = _provider_class(spec)
    common: dict[str, Any] = {
        "model": spec.name, "temperature": options.temperature, "max_retries": options.max_retries,
    }
    if spec.provider == "openai":
        if transport is not None:
            common |= {"http_client": httpx.Client(transport=transport),
                       "http_async_client": httpx.AsyncClient(transport=transport)}
        # stream_usage: OpenAI reports token usage in a stream only when asked to.
        return chat_class(**common, max_tokens=options.max_tokens, timeout=options.timeout_s, stream_usage=True)
    # google-genai counts attempts, the first included; openai counts retries after it.
    common["max_retries"] = options.max_retries + 1
    client_args = {"transport": transport} if transport is not None else None
    return chat_class(**common, max_output_tokens=options.max_tokens, timeout=options.timeout_s,
                      client_args=client_args)


def _provider_class(spec: ModelSpec) -> type:
    """The chat-model class of a hosted provider, once its package and API key are there."""
    module_name, class_name, package = PACKAGES[spec.provider]
    key_vars = API_KEY_VARS[spec.provider]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelConfigError(f"{spec.label} needs `pip install {package}`.") from exc
    if not any(os.environ.get(var) for var in key_vars):
        raise ModelConfigError(f"{spec.label} needs the {' or '.join(key_vars)} environment variable.")
    return getattr(module, class_name)
