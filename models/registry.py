"""Turn a model spec string (a setting such as MNEMO_CHAT_MODEL) into a chat model, once per process.

Hosted providers are imported only when asked for, so their packages stay optional.
"""

import importlib
import os
import threading
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from models.fake import FakeChatModel
from models.llama import LlamaChatModel, default_model_path

SPEC_FORMS = (
    "local (the bundled SmolLM2-135M-Instruct)",
    "local:/path/to/model.gguf",
    "fake (deterministic, for tests)",
    "openai:<model>",
    "gemini:<model>",
)

_cache_lock = threading.Lock()
_cache: dict[tuple[str, int | None, int, int], BaseChatModel] = {}


class ModelConfigError(ValueError):
    """The model spec can't be served: unknown form, missing file, missing package or API key."""


def get_chat_model(
    spec: str, *, threads: int | None = None, n_ctx: int = 2048, max_tokens: int = 160
) -> BaseChatModel:
    """The process-wide chat model for `spec` and these parameters (`threads`, `n_ctx`: local models only)."""
    key = (spec.strip(), threads, n_ctx, max_tokens)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _build(*key)
        return _cache[key]


def _build(spec: str, threads: int | None, n_ctx: int, max_tokens: int) -> BaseChatModel:
    kind, _, arg = spec.partition(":")
    if spec == "fake":
        return FakeChatModel()
    if spec == "local":
        try:
            path = default_model_path()
        except FileNotFoundError as exc:
            raise ModelConfigError(str(exc)) from exc
        return LlamaChatModel(model_path=str(path), n_ctx=n_ctx, n_threads=threads, max_tokens=max_tokens)
    if kind == "local" and arg:
        path = Path(arg).expanduser()
        if not path.is_file():
            raise ModelConfigError(f"Model file not found for spec {spec!r}: {path}")
        return LlamaChatModel(model_path=str(path), n_ctx=n_ctx, n_threads=threads, max_tokens=max_tokens)
    if kind == "openai" and arg:
        chat_openai = _provider_class(
            spec, "langchain_openai", "ChatOpenAI", "langchain-openai", "OPENAI_API_KEY"
        )
        # stream_usage: OpenAI reports token usage in streams only when asked to.
        return chat_openai(model=arg, max_tokens=max_tokens, stream_usage=True)
    if kind == "gemini" and arg:
        chat_google = _provider_class(
            spec,
            "langchain_google_genai",
            "ChatGoogleGenerativeAI",
            "langchain-google-genai",
            "GOOGLE_API_KEY",
        )
        return chat_google(model=arg, max_output_tokens=max_tokens)
    raise ModelConfigError(f"Unknown chat model spec {spec!r}; use one of: " + ", ".join(SPEC_FORMS))


def _provider_class(spec: str, module_name: str, class_name: str, package: str, key_var: str) -> type:
    """The chat-model class of an optional provider package, once its package and API key are there."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelConfigError(
            f"{spec} needs `pip install {package}` and the {key_var} environment variable."
        ) from exc
    if not os.environ.get(key_var):
        raise ModelConfigError(f"{spec} needs the {key_var} environment variable.")
    return getattr(module, class_name)


def warm_up(model: BaseChatModel) -> None:
    """Load the weights now (local models load on first use) so the first turn doesn't pay for it and
    a broken model file fails at startup, not mid-conversation."""
    if isinstance(model, LlamaChatModel):
        model.llama  # noqa: B018 - the property loads the shared Llama
