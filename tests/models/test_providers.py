"""Usage, cost, retries and fallbacks of every provider, on recorded answers replayed through a fake
HTTP transport (tests/models/replay.py): no API key, no network."""

from __future__ import annotations

import json
from functools import reduce
from operator import add

import httpx
import openai
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from prometheus_client import REGISTRY

from models.chat import AllModelsFailed, MnemoChatModel
from models.pricing import cost_usd
from models.registry import ModelOptions, chat_model_for
from models.tokens import openai_count, openai_prompt_tokens
from tests.models.replay import RECORDINGS, Replay, failure, recorded_json, recorded_sse

MESSAGES = [SystemMessage("You are a travel assistant."), HumanMessage("Is Lisbon nice in spring?")]
REPLY = "Lisbon in spring is lovely: mild, sunny and not too crowded."
OPENAI_PATH = "/chat/completions"
GEMINI_GENERATE, GEMINI_STREAM, GEMINI_COUNT = ":generateContent", ":streamGenerateContent", ":countTokens"
FAST = ModelOptions(max_retries=1, timeout_s=5)


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    monkeypatch.setenv("GOOGLE_API_KEY", "test-not-a-key")


def chain(specs: str, replay: Replay, options: ModelOptions = FAST) -> MnemoChatModel:
    return chat_model_for(specs, options, transport=replay.transport())


def mnemo(message) -> dict:
    return message.response_metadata["mnemo"]


async def streamed(model: MnemoChatModel):
    chunks = [chunk async for chunk in model.astream(MESSAGES)]
    return reduce(add, chunks), chunks


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# -- OpenAI -----------------------------------------------------------------------------------------------

async def test_openai_answer_carries_the_providers_usage_and_its_cost():
    replay = Replay().on(OPENAI_PATH, recorded_json("openai_chat.json"))
    answer = await chain("openai:gpt-4o-mini", replay).ainvoke(MESSAGES)
    assert answer.text == REPLY
    assert (answer.usage_metadata["input_tokens"], answer.usage_metadata["output_tokens"]) == (23, 15)
    call = mnemo(answer)
    assert call["usage_source"] == "provider" and call["provider"] == "openai"
    assert call["model"] == "gpt-4o-mini-2024-07-18"  # the dated name is priced as gpt-4o-mini
    assert call["cost_usd"] == pytest.approx((23 * 0.15 + 15 * 0.60) / 1e6)
    sent = json.loads(replay.calls(OPENAI_PATH)[0].content)
    assert sent["model"] == "gpt-4o-mini" and sent["max_completion_tokens"] == 160
    assert sent["messages"][0] == {"role": "system", "content": "You are a travel assistant."}


async def test_openai_stream_counts_the_usage_chunk_once():
    replay = Replay().on(OPENAI_PATH, recorded_sse("openai_chat_stream.sse"))
    whole, chunks = await streamed(chain("openai:gpt-4o-mini", replay))
    assert whole.text == REPLY
    assert len([c for c in chunks if c.text]) == 15  # token by token
    assert (whole.usage_metadata["input_tokens"], whole.usage_metadata["output_tokens"]) == (23, 15)
    assert mnemo(whole)["usage_source"] == "provider"
    assert mnemo(whole)["cost_usd"] == pytest.approx((23 * 0.15 + 15 * 0.60) / 1e6)
    assert json.loads(replay.calls(OPENAI_PATH)[0].content)["stream_options"] == {"include_usage": True}


async def test_openai_stream_without_usage_is_counted_with_the_models_tokenizer():
    replay = Replay().on(OPENAI_PATH, recorded_sse("openai_chat_stream_no_usage.sse"))
    before = counted("mnemo_model_usage_filled_total", model="openai:gpt-4o-mini", source="tokenizer")
    whole, _ = await streamed(chain("openai:gpt-4o-mini", replay))
    assert mnemo(whole)["usage_source"] == "tokenizer"
    expected_in = openai_prompt_tokens("gpt-4o-mini-2024-07-18", MESSAGES)
    assert whole.usage_metadata["input_tokens"] == expected_in > 0
    assert whole.usage_metadata["output_tokens"] == openai_count("gpt-4o-mini", REPLY) == 15  # as the provider said
    assert counted("mnemo_model_usage_filled_total", model="openai:gpt-4o-mini", source="tokenizer") == before + 1


async def test_openai_cached_input_tokens_are_priced_at_the_cached_rate():
    body = json.loads((RECORDINGS / "openai_chat.json").read_text())
    body["usage"]["prompt_tokens"] = 2000
    body["usage"]["prompt_tokens_details"]["cached_tokens"] = 1536
    replay = Replay().on(OPENAI_PATH, lambda request: httpx.Response(200, json=body))
    answer = await chain("openai:gpt-4o-mini", replay).ainvoke(MESSAGES)
    assert answer.usage_metadata["input_token_details"]["cache_read"] == 1536
    assert mnemo(answer)["cost_usd"] == pytest.approx((464 * 0.15 + 1536 * 0.075 + 15 * 0.60) / 1e6)


async def test_openai_429_is_retried_with_backoff_then_answers():
    replay = Replay().on(OPENAI_PATH, failure(429, "Rate limit reached", {"retry-after-ms": "5"}),
                         recorded_json("openai_chat.json"))
    answer = await chain("openai:gpt-4o-mini", replay).ainvoke(MESSAGES)
    assert answer.text == REPLY
    assert len(replay.calls(OPENAI_PATH)) == 2
    assert mnemo(answer)["fallbacks"] == []


async def test_openai_5xx_after_retries_falls_back_to_gemini_with_the_reason():
    replay = (Replay().on(OPENAI_PATH, failure(503, "The server is overloaded", {"retry-after-ms": "5"}))
              .on(GEMINI_GENERATE, recorded_json("gemini_generate.json")))
    before = counted("mnemo_model_fallbacks_total", model="openai:gpt-4o-mini", reason="server_error")
    answer = await chain("openai:gpt-4o-mini,gemini:gemini-2.5-flash", replay).ainvoke(MESSAGES)
    assert len(replay.calls(OPENAI_PATH)) == 2  # the first try and one retry
    call = mnemo(answer)
    assert call["provider"] == "gemini" and call["spec"] == "gemini:gemini-2.5-flash"
    [fallback] = call["fallbacks"]
    assert fallback["model"] == "openai:gpt-4o-mini"
    assert fallback["reason"].startswith("server_error: HTTP 503")
    assert counted("mnemo_model_fallbacks_total", model="openai:gpt-4o-mini", reason="server_error") == before + 1


async def test_a_timeout_falls_back_to_the_local_model_in_a_stream():
    replay = Replay().on(OPENAI_PATH, httpx.ReadTimeout("no answer within the timeout"))
    whole, chunks = await streamed(chain("openai:gpt-4o-mini,fake", replay))
    assert whole.text.startswith('You said: "Is Lisbon nice in spring?"')
    call = mnemo(whole)
    assert call["provider"] == "fake" and call["fallbacks"][0]["reason"].startswith("timeout")
    assert whole.usage_metadata["output_tokens"] > 0
    assert chunks[-1].chunk_position == "last"


async def test_when_every_model_fails_the_error_names_each_reason():
    replay = (Replay().on(OPENAI_PATH, failure(401, "Incorrect API key provided"))
              .on(GEMINI_GENERATE, failure(500, "Internal error", {"retry-after": "0"})))
    with pytest.raises(AllModelsFailed) as error:
        await chain("openai:gpt-4o-mini,gemini:gemini-2.5-flash", replay, ModelOptions(max_retries=0)).ainvoke(MESSAGES)
    assert [a["model"] for a in error.value.attempts] == ["openai:gpt-4o-mini", "gemini:gemini-2.5-flash"]
    summary = error.value.summary()
    assert "openai:gpt-4o-mini (auth)" in summary and "gemini:gemini-2.5-flash (server_error)" in summary
    assert "Incorrect API key" not in summary  # the provider's own words stay in the log


async def test_a_stream_that_fails_midway_is_not_continued_by_another_model():
    body = (RECORDINGS / "openai_chat_stream.sse").read_bytes().split(b"\n\n")[:4]

    def cut(request):
        async def pieces():
            for event in body:
                yield event + b"\n\n"
            raise httpx.ReadError("connection reset by peer")
        return httpx.Response(200, content=pieces(), headers={"content-type": "text/event-stream"})

    replay = Replay().on(OPENAI_PATH, cut)
    seen = []
    with pytest.raises(openai.APIConnectionError):
        async for chunk in chain("openai:gpt-4o-mini,fake", replay).astream(MESSAGES):
            seen.append(chunk.text)
    assert "".join(seen) == "Lisbon in"  # the pieces before the cut, and nothing from the fake model


# -- Gemini -----------------------------------------------------------------------------------------------

async def test_gemini_answer_carries_the_providers_usage_and_its_cost():
    replay = Replay().on(GEMINI_GENERATE, recorded_json("gemini_generate.json"))
    answer = await chain("gemini:gemini-2.5-flash", replay).ainvoke(MESSAGES)
    assert answer.text == REPLY
    assert (answer.usage_metadata["input_tokens"], answer.usage_metadata["output_tokens"]) == (12, 16)
    assert mnemo(answer)["cost_usd"] == pytest.approx((12 * 0.30 + 16 * 2.50) / 1e6)
    sent = json.loads(replay.calls(GEMINI_GENERATE)[0].content)
    assert sent["generationConfig"]["maxOutputTokens"] == 160


async def test_gemini_stream_usage_is_the_last_cumulative_figure_not_a_sum():
    replay = Replay().on(GEMINI_STREAM, recorded_sse("gemini_stream.sse"))
    whole, _ = await streamed(chain("gemini:gemini-2.5-flash", replay))
    assert whole.text == REPLY
    assert (whole.usage_metadata["input_tokens"], whole.usage_metadata["output_tokens"]) == (12, 16)
    assert mnemo(whole)["usage_source"] == "provider"


async def test_gemini_stream_without_usage_is_counted_by_gemini_count_tokens():
    replay = (Replay().on(GEMINI_STREAM, recorded_sse("gemini_stream_no_usage.sse"))
              .on(GEMINI_COUNT, recorded_json("gemini_count_tokens.json")))
    whole, _ = await streamed(chain("gemini:gemini-2.5-flash", replay))
    assert mnemo(whole)["usage_source"] == "tokenizer"
    assert (whole.usage_metadata["input_tokens"], whole.usage_metadata["output_tokens"]) == (7, 7)
    asked = [json.loads(r.content) for r in replay.calls(GEMINI_COUNT)]
    assert [[p["text"] for c in a["contents"] for p in c["parts"]] for a in asked] == [
        [m.text for m in MESSAGES], [REPLY]]


async def test_usage_that_cannot_be_counted_is_estimated_and_said_so():
    replay = (Replay().on(GEMINI_STREAM, recorded_sse("gemini_stream_no_usage.sse"))
              .on(GEMINI_COUNT, failure(400, "countTokens refused")))
    whole, _ = await streamed(chain("gemini:gemini-2.5-flash", replay, ModelOptions(max_retries=0)))
    assert mnemo(whole)["usage_source"] == "estimate"
    assert whole.usage_metadata["output_tokens"] == -(-len(REPLY) // 4) > 0


# -- local and fake ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [False, True])
async def test_fake_model_usage_and_zero_cost(stream):
    model = chain("fake", Replay())
    answer = (await streamed(model))[0] if stream else await model.ainvoke(MESSAGES)
    call = mnemo(answer)
    assert call["cost_usd"] == 0.0 and call["usage_source"] == "provider"
    assert answer.usage_metadata["input_tokens"] > 0 and answer.usage_metadata["output_tokens"] > 0


@pytest.mark.slow
async def test_local_model_usage_is_the_same_streamed_or_not():
    model = chat_model_for("local", ModelOptions(max_tokens=12, local=(("n_ctx", 512),)))
    whole, _ = await streamed(model)
    answer = await model.ainvoke(MESSAGES)
    assert whole.usage_metadata["input_tokens"] == answer.usage_metadata["input_tokens"] > 0
    assert whole.usage_metadata["output_tokens"] > 0 and answer.usage_metadata["output_tokens"] > 0
    assert mnemo(whole)["cost_usd"] == mnemo(answer)["cost_usd"] == 0.0


def test_unpriced_hosted_model_costs_none_not_zero():
    assert cost_usd("openai", "gpt-99-experimental", {"input_tokens": 10, "output_tokens": 5}) is None
    assert cost_usd("local", "anything", {"input_tokens": 10, "output_tokens": 5}) == 0.0
