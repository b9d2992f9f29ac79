"""Model specs from settings -> the process's shared `MnemoChatModel`s, built once per distinct config.

A spec may be a comma-separated fallback chain (`openai:gpt-4o-mini,gemini:gemini-2.5-flash,local`).
Local GGUF weights are shared across configs anyway (models/llama.py loads each file once).
"""

from __future__ import annotations

import threading

import httpx
from langchain_core.language_models import BaseChatModel

from models.chat import Candidate, MnemoChatModel
from models.llama import LlamaChatModel
from models.providers import SPEC_FORMS, ModelConfigError, ModelOptions, build_model, parse_chain

__all__ = ["SPEC_FORMS", "ModelConfigError", "ModelOptions", "chat_model_for", "get_chat_model", "warm_up"]

_cache_lock = threading.Lock()
_cache: dict[tuple[str, ModelOptions], MnemoChatModel] = {}


def chat_model_for(specs: str, options: ModelOptions, transport: httpx.BaseTransport | None = None) -> MnemoChatModel:
    """A new chain for `specs` (not cached: tests pass a fake HTTP `transport`)."""
    return MnemoChatModel(candidates=[
        Candidate(spec, build_model(spec, options, transport)) for spec in parse_chain(specs)
    ])


def get_chat_model(specs: str, options: ModelOptions | None = None) -> MnemoChatModel:
    """The process-wide chain for `specs` and `options`."""
    key = (specs.strip(), options or ModelOptions())
    with _cache_lock:
        if key not in _cache:
            _cache[key] = chat_model_for(*key)
        return _cache[key]


def warm_up(model: BaseChatModel) -> None:
    """Load local weights now (they load on first use), so the first turn doesn't pay for it and a broken
    model file fails at startup, not mid-conversation."""
    candidates = model.candidates if isinstance(model, MnemoChatModel) else []
    for candidate in candidates:
        if isinstance(candidate.model, LlamaChatModel):
            candidate.model.llama  # noqa: B018 - the property loads the shared Llama
