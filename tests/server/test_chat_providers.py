"""Hosted providers through the whole turn and the API: usage and cost rows, streamed tokens, fallback
reasons kept with the reply, per-agent model settings, 503 when every model fails. The providers'
answers are recorded ones replayed through a fake HTTP transport (tests/models/replay.py). A turn
always streams from the model (the graph streams tokens), JSON answer or not, so the recordings are
streams."""

from __future__ import annotations

import json

import httpx
import pytest

import graphs.resources
from core.config import AgentModel
from memory.db import tenant_connection
from models.registry import chat_model_for
from tests.conftest import sse_events
from tests.models.replay import RECORDINGS, Replay, failure, recorded_sse

OPENAI_PATH = "/chat/completions"
USAGE_SQL = "SELECT model, provider, usage_source, cost_usd::float8 AS cost FROM usage WHERE message_id = %s"
REPLY_SQL = "SELECT metadata FROM messages WHERE id = %s"
MESSAGES_SQL = "SELECT count(*) AS n FROM messages WHERE tenant_id = %s AND user_id = %s"
GPT_4O_MINI_COST = (23 * 0.15 + 15 * 0.60) / 1e6


@pytest.fixture
def replay(resources, monkeypatch) -> Replay:
    """Hosted models of this test answer from `replay`; the session's settings are changed by `use`."""
    recorded = Replay()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    monkeypatch.setattr(graphs.resources, "get_chat_model",
                        lambda specs, options: chat_model_for(specs, options, transport=recorded.transport()))
    return recorded


@pytest.fixture
def use(resources, monkeypatch):
    def change(**settings):
        monkeypatch.setattr(resources, "settings", resources.settings.model_copy(update=settings))
    return change


async def rows(resources, principal, sql, *params):
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        return await (await conn.execute(sql, params)).fetchall()


async def test_a_turn_on_openai_records_its_usage_and_cost(client, resources, principal, auth, replay, use):
    use(chat_model="openai:gpt-4o-mini")
    replay.on(OPENAI_PATH, recorded_sse("openai_chat_stream.sse"))
    answer = (await client.post("/v1/chat", json={"message": "Is Lisbon nice in spring?"}, headers=auth)).json()
    assert answer["usage"]["model"] == "gpt-4o-mini-2024-07-18"
    assert (answer["usage"]["input_tokens"], answer["usage"]["output_tokens"]) == (23, 15)
    assert answer["usage"]["cost_usd"] == pytest.approx(GPT_4O_MINI_COST)
    [row] = await rows(resources, principal, USAGE_SQL, answer["message_id"])
    assert (row["provider"], row["usage_source"]) == ("openai", "provider")
    assert row["cost"] == pytest.approx(GPT_4O_MINI_COST)
    report = (await client.get("/v1/usage", headers=auth)).json()
    assert report["totals"]["cost_usd"] == pytest.approx(GPT_4O_MINI_COST)
    assert report["totals"]["unpriced_calls"] == 0


async def test_a_streamed_turn_on_openai_sends_each_token_and_the_cost(client, resources, principal, auth, replay,
                                                                        use):
    use(chat_model="openai:gpt-4o-mini")
    replay.on(OPENAI_PATH, recorded_sse("openai_chat_stream.sse"))
    response = await client.post("/v1/chat", json={"message": "Is Lisbon nice in spring?", "stream": True},
                                 headers=auth)
    events = sse_events(response.text)
    tokens = [data["text"] for name, data in events if name == "token"]
    assert len(tokens) == 15 and "".join(tokens).startswith("Lisbon in spring")
    [done] = [data for name, data in events if name == "done"]
    assert (done["usage"]["input_tokens"], done["usage"]["output_tokens"]) == (23, 15)
    assert done["usage"]["cost_usd"] == pytest.approx(GPT_4O_MINI_COST)


async def test_a_fallback_is_kept_with_the_reply_and_its_usage(client, resources, principal, auth, replay, use):
    use(chat_model="openai:gpt-4o-mini,fake", model_max_retries=0)
    replay.on(OPENAI_PATH, failure(503, "The server is overloaded"))
    answer = (await client.post("/v1/chat", json={"message": "Hello there"}, headers=auth)).json()
    assert answer["reply"].startswith('You said: "Hello there"')
    assert answer["usage"]["model"] == "fake" and answer["usage"]["cost_usd"] == 0.0
    [reply] = await rows(resources, principal, REPLY_SQL, answer["message_id"])
    [fallback] = reply["metadata"]["fallbacks"]
    assert fallback["model"] == "openai:gpt-4o-mini" and fallback["reason"].startswith("server_error: HTTP 503")
    [row] = await rows(resources, principal, USAGE_SQL, answer["message_id"])
    assert row["provider"] == "fake"


@pytest.mark.parametrize("stream", [False, True])
async def test_when_every_model_fails_the_caller_gets_503_and_nothing_is_stored(
    client, resources, principal, auth, replay, use, stream,
):
    use(chat_model="openai:gpt-4o-mini", model_max_retries=0)
    replay.on(OPENAI_PATH, failure(429, "You exceeded your current quota"))
    response = await client.post("/v1/chat", json={"message": "Hello", "stream": stream}, headers=auth)
    if stream:
        [(name, error)] = [(n, d) for n, d in sse_events(response.text) if n == "error"]
    else:
        assert response.status_code == 503
        error = response.json()
    assert error["error"]["code"] == "unavailable"
    assert "openai:gpt-4o-mini (rate_limited)" in error["error"]["message"]
    assert "quota" not in error["error"]["message"]
    [count] = await rows(resources, principal, MESSAGES_SQL, principal.tenant_id, principal.user_id)
    assert count["n"] == 0


async def test_a_model_without_a_price_is_counted_as_unpriced(client, resources, principal, auth, replay, use):
    use(chat_model="openai:gpt-99-preview")
    stream = (RECORDINGS / "openai_chat_stream.sse").read_text().replace("gpt-4o-mini-2024-07-18", "gpt-99-preview")
    sse = {"content-type": "text/event-stream"}
    replay.on(OPENAI_PATH, lambda request: httpx.Response(200, text=stream, headers=sse))
    answer = (await client.post("/v1/chat", json={"message": "Hi"}, headers=auth)).json()
    assert answer["usage"]["cost_usd"] is None
    report = (await client.get("/v1/usage", headers=auth)).json()
    assert report["totals"]["unpriced_calls"] == 1 and report["totals"]["cost_usd"] == 0


async def test_each_agent_gets_its_own_model_temperature_and_max_tokens(client, auth, replay, use):
    use(chat_model="fake", agents={"coder": AgentModel(model="openai:gpt-4o-mini", temperature=0.7, max_tokens=300)})
    replay.on(OPENAI_PATH, recorded_sse("openai_chat_stream.sse"))
    coder = (await client.post("/v1/chat", json={"message": "Fix my SQL", "agent": "coder"}, headers=auth)).json()
    assert coder["agent"] == "coder" and coder["usage"]["model"].startswith("gpt-4o-mini")
    sent = json.loads(replay.calls(OPENAI_PATH)[0].content)
    assert (sent["temperature"], sent["max_completion_tokens"]) == (0.7, 300)
    other = (await client.post("/v1/chat", json={"message": "Hello", "agent": "assistant"}, headers=auth)).json()
    assert other["usage"]["model"] == "fake"
    assert len(replay.calls(OPENAI_PATH)) == 1
