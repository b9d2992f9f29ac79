"""POST /v1/chat/completions and GET /v1/models driven by the official `openai` client over a real socket."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest
from openai import AsyncOpenAI

from memory.db import tenant_connection
from tests.conftest import make_key

THREAD_MESSAGES_SQL = "SELECT role, content FROM messages WHERE thread_id = %s ORDER BY seq"


@pytest.fixture
async def openai_client(live_url, resources, principal) -> AsyncOpenAI:
    key = await make_key(resources, principal.tenant_id, principal.user_id)
    return AsyncOpenAI(base_url=f"{live_url}/v1", api_key=key, max_retries=0)


async def _stored(resources, principal, thread_id: str) -> list[tuple[str, str]]:
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        rows = await (await conn.execute(THREAD_MESSAGES_SQL, (thread_id,))).fetchall()
    return [(r["role"], r["content"]) for r in rows]


async def test_models_list_mnemo_and_each_agent(openai_client):
    models = [m.id async for m in openai_client.models.list()]
    assert models[0] == "mnemo" and {"mnemo-assistant", "mnemo-coder", "mnemo-planner"} <= set(models)


async def test_a_completion_is_a_turn_that_remembers(openai_client, resources, principal):
    first = await openai_client.chat.completions.create(
        model="mnemo", messages=[{"role": "system", "content": "Be brief."},
                                 {"role": "user", "content": "I live in Bergen and I love sailing."}])
    answer = first.choices[0].message
    assert answer.role == "assistant" and answer.content and first.choices[0].finish_reason == "stop"
    usage = first.usage
    assert usage.prompt_tokens > 0 and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    mnemo = first.model_extra["mnemo"]
    assert ("profile.location", "Bergen") in {(m["key"], m["value"]) for m in mnemo["memories"]}
    assert await _stored(resources, principal, mnemo["thread_id"]) == [
        ("user", "I live in Bergen and I love sailing."), ("assistant", answer.content)]

    # A chat UI resends the conversation without a thread id: the turn goes on in the same thread.
    again = await openai_client.chat.completions.create(model="mnemo-planner", messages=[
        {"role": "user", "content": "I live in Bergen and I love sailing."},
        {"role": "assistant", "content": answer.content},
        {"role": "user", "content": "Plan my weekend."}])
    assert again.model_extra["mnemo"]["thread_id"] == mnemo["thread_id"]
    assert again.model_extra["mnemo"]["agent"] == "planner"
    stored = await _stored(resources, principal, mnemo["thread_id"])
    assert [role for role, _ in stored] == ["user", "assistant", "user", "assistant"]  # the history once, not twice

    # Elsewhere (a new conversation), the memory is there: the fake model quotes what it was given.
    other = await openai_client.chat.completions.create(
        model="mnemo", messages=[{"role": "user", "content": "Where do I live?"}])
    assert other.model_extra["mnemo"]["thread_id"] != mnemo["thread_id"]
    assert "Bergen" in other.choices[0].message.content


async def test_streaming_sends_chunks_then_a_usage_chunk(openai_client, resources, principal):
    thread_id = f"oa-{uuid.uuid4().hex[:8]}"
    stream = await openai_client.chat.completions.create(
        model="mnemo", stream=True, stream_options={"include_usage": True}, metadata={"thread_id": thread_id},
        messages=[{"role": "user", "content": [{"type": "text", "text": "I'm allergic to peanuts."}]}])
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1  # token by token
    assert await _stored(resources, principal, thread_id) == [("user", "I'm allergic to peanuts."),
                                                              ("assistant", text)]


async def test_errors_come_in_openais_shape(openai_client, live_url):
    with pytest.raises(openai.NotFoundError) as unknown:
        await openai_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert unknown.value.code == "model_not_found" and "mnemo-coder" in unknown.value.message
    with pytest.raises(openai.BadRequestError) as no_user:
        await openai_client.chat.completions.create(model="mnemo", messages=[{"role": "system", "content": "x"}])
    assert "no user message" in no_user.value.message
    with pytest.raises(openai.UnprocessableEntityError):
        await openai_client.chat.completions.create(model="mnemo", messages=[])
    wrong = AsyncOpenAI(base_url=f"{live_url}/v1", api_key="mnemo_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        await wrong.models.list()
    assert refused.value.code == "invalid_api_key"
    async with httpx.AsyncClient(base_url=live_url) as http:
        body = (await http.post("/v1/chat/completions", json={"model": "mnemo"})).json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == "authentication_error"


async def test_another_users_thread_is_not_found(openai_client, live_url, resources, principal):
    key = await make_key(resources, principal.tenant_id, "someone-else")
    theirs = AsyncOpenAI(base_url=f"{live_url}/v1", api_key=key, max_retries=0)
    thread_id = (await theirs.chat.completions.create(
        model="mnemo", messages=[{"role": "user", "content": "My name is Eve."}])).model_extra["mnemo"]["thread_id"]
    with pytest.raises(openai.NotFoundError):
        await openai_client.chat.completions.create(model="mnemo", metadata={"thread_id": thread_id},
                                                    messages=[{"role": "user", "content": "hi"}])
    stored = await _stored(resources, principal, thread_id)
    assert [text for role, text in stored if role == "user"] == ["My name is Eve."]  # nothing of mine went in


async def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer(openai_client, resources, principal):
    key = {"Idempotency-Key": f"oa-{uuid.uuid4().hex}"}
    ask = {"model": "mnemo", "messages": [{"role": "user", "content": "Book a table for two at 8pm."}]}
    first = await openai_client.chat.completions.with_raw_response.create(**ask, extra_headers=key)
    again = await openai_client.chat.completions.with_raw_response.create(**ask, extra_headers=key)
    assert again.headers.get("Idempotent-Replayed") == "true" and first.headers.get("Idempotent-Replayed") is None
    one, two = first.parse(), again.parse()
    assert two.choices[0].message.content == one.choices[0].message.content
    thread_id = one.model_extra["mnemo"]["thread_id"]
    assert two.model_extra["mnemo"]["thread_id"] == thread_id and again.headers["X-Mnemo-Thread-Id"] == thread_id
    assert len(await _stored(resources, principal, thread_id)) == 2  # one turn, not two
    streamed = await openai_client.chat.completions.create(**ask, stream=True, extra_headers=key)
    text = "".join([c.choices[0].delta.content or "" async for c in streamed if c.choices])
    assert text == one.choices[0].message.content
