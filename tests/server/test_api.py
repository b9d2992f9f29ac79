"""The REST API through a real HTTP client (httpx over ASGI) on the real services, fake model."""

import uuid

import pytest

from tests.conftest import key_headers, make_key, sse_events


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"postgres": "ok", "redis": "ok", "model": "ok"}


async def test_chat_json_contract(client, auth):
    r = await client.post("/v1/chat", json={"message": "Je m'appelle Marie et j'habite à Lyon."}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"thread_id", "message_id", "reply", "agent", "hints", "memories", "forgotten", "usage"}
    assert set(body["usage"]) == {"input_tokens", "output_tokens", "cost_usd", "model"}
    assert {m["value"] for m in body["memories"]} >= {"Marie", "Lyon"}
    again = await client.post("/v1/chat", json={"message": "Et toi ?", "thread_id": body["thread_id"]},
                              headers=auth)
    assert again.status_code == 200 and again.json()["thread_id"] == body["thread_id"]


async def test_chat_streams_tokens_then_hints_memories_done(client, auth):
    await client.post("/v1/chat", json={"message": "I love jazz."}, headers=auth)
    r = await client.post("/v1/chat", json={"message": "I'm vegetarian. Any jazz album for tonight?",
                                            "stream": True}, headers=auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    kinds = [k for k, _ in events]
    assert kinds.count("token") > 3 and kinds[-1] == "done"
    assert kinds.index("done") > max(i for i, k in enumerate(kinds) if k == "token")
    done = events[-1][1]
    assert "".join(d["text"] for k, d in events if k == "token").strip() == done["reply"]
    assert [d["value"] for k, d in events if k == "memory"] == [m["value"] for m in done["memories"]]
    assert "vegetarian" in [m["value"] for m in done["memories"]]
    assert [k for k in kinds if k == "hint"] == ["hint"] * len(done["hints"])


@pytest.mark.parametrize("body", [{"message": ""}, {"message": "   \n\t"}, {}, {"message": 3},
                                  {"message": "hi", "agent": "nobody"}, {"message": "hi", "thread_id": "a b"}])
async def test_bad_chat_input_is_422(client, auth, body):
    r = await client.post("/v1/chat", json=body, headers=auth)
    assert r.status_code == 422
    assert set(r.json()["error"]) == {"code", "message"}


async def test_malformed_json_is_422(client, auth):
    r = await client.post("/v1/chat", content=b'{"message": "hi"', headers={**auth, "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


async def test_too_long_message_is_413(client, auth, settings):
    r = await client.post("/v1/chat", json={"message": "a" * (settings.max_message_chars + 1)}, headers=auth)
    assert r.status_code == 413 and "limit" in r.json()["error"]["message"]


async def test_oversized_body_is_413(client, auth, settings):
    r = await client.post("/v1/chat", content=b"x" * (settings.max_request_bytes + 1),
                          headers={**auth, "content-type": "application/json"})
    assert r.status_code == 413


async def test_unknown_or_foreign_thread_is_404(client, auth, resources, principal):
    mine = (await client.post("/v1/chat", json={"message": "hello"}, headers=auth)).json()["thread_id"]
    other = await key_headers(resources, principal.tenant_id, "mallory")
    foreign_key = await make_key(resources, "x-" + principal.tenant_id, principal.user_id)
    other_tenant = {"Authorization": f"Bearer {foreign_key}"}
    for headers in (other, other_tenant):
        r = await client.post("/v1/chat", json={"message": "hi", "thread_id": mine}, headers=headers)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        assert (await client.get(f"/v1/threads/{mine}/messages", headers=headers)).status_code == 404
        assert (await client.post("/v1/search", json={"query": "hello", "thread_id": mine},
                                  headers=headers)).status_code == 404
    r = await client.post("/v1/chat", json={"message": "hi", "thread_id": str(uuid.uuid4())}, headers=auth)
    assert r.status_code == 404


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer mnemo_wrong"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer "}, {"X-Api-Key": "mnemo_wrong"}, {"X-Api-Key": " "}])
async def test_missing_or_wrong_key_is_401(client, headers):
    for method, path, body in (("POST", "/v1/chat", {"message": "hi"}), ("GET", "/v1/memories", None),
                               ("POST", "/v1/search", {"query": "x"})):
        r = await client.request(method, path, json=body, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


async def test_the_key_may_come_as_x_api_key_as_the_langgraph_sdk_sends_it(client, auth, resources, principal):
    key = auth["Authorization"].removeprefix("Bearer ")
    r = await client.post("/v1/chat", json={"message": "hello from the SDK"}, headers={"X-Api-Key": key})
    assert r.status_code == 200
    listed = await client.get(f"/v1/threads/{r.json()['thread_id']}/messages", headers=auth)
    assert listed.status_code == 200  # the same user as the Bearer key
    assert (await client.get("/v1/memories", headers={**auth, "X-Api-Key": key})).status_code == 200
    other = await make_key(resources, principal.tenant_id, "mallory")
    r = await client.get("/v1/memories", headers={**auth, "X-Api-Key": other})
    assert r.status_code == 401 and "two different API keys" in r.json()["error"]["message"]


async def test_import_then_search_and_paginate(client, auth):
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"message number {i} about sailing",
                 "created_at": f"2024-03-0{1 + i % 9}T10:00:00Z", "metadata": {"source": "slack"}} for i in range(5)]
    messages[2]["content"] = "We booked the Zanzibar ferry for the 12th"
    r = await client.post("/v1/threads/import", json={"title": "old", "messages": messages}, headers=auth)
    assert r.status_code == 201 and r.json()["imported"] == 5
    thread_id = r.json()["thread_id"]
    found = (await client.post("/v1/search", json={"query": "Zanzibar ferry", "types": ["message"]},
                               headers=auth)).json()
    assert found["results"][0]["content"] == "We booked the Zanzibar ferry for the 12th"
    assert found["results"][0]["created_at"].startswith("2024-03-03")
    assert found["results"][0]["metadata"]["source"] == "slack" and found["took_ms"] >= 0
    page1 = (await client.get(f"/v1/threads/{thread_id}/messages?limit=3", headers=auth)).json()
    page2 = (await client.get(f"/v1/threads/{thread_id}/messages?limit=3&cursor={page1['next_cursor']}",
                              headers=auth)).json()
    assert [m["content"] for m in page1["items"] + page2["items"]] == [m["content"] for m in messages]
    assert page2["next_cursor"] is None


async def test_import_with_extract_remembers(client, auth):
    r = await client.post("/v1/threads/import", json={"messages": [{"role": "user", "content": "I live in Oslo."}],
                                                      "extract": True}, headers=auth)
    assert r.status_code == 201
    context = (await client.get("/v1/memories/context", headers=auth)).json()
    assert [m["value"] for m in context["profile"]] == ["Oslo"]


async def test_bad_import_is_rejected_whole(client, auth):
    r = await client.post("/v1/threads/import", json={"messages": [{"role": "user", "content": "ok"},
                                                                   {"role": "robot", "content": "?"}]}, headers=auth)
    assert r.status_code == 422
    assert (await client.post("/v1/threads/import", json={"messages": []}, headers=auth)).status_code == 422


async def test_memories_create_list_context(client, auth):
    created = await client.post("/v1/memories", json={"category": "preference", "key": "preference.drink",
                                                      "value": "green tea"}, headers=auth)
    assert created.status_code == 201 and created.json()["value"] == "green tea"
    again = await client.post("/v1/memories", json={"category": "preference", "key": "preference.drink",
                                                    "value": "Green tea"}, headers=auth)
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    listing = (await client.get("/v1/memories", headers=auth)).json()
    assert [m["value"] for m in listing["items"]] == ["green tea"] and listing["next_cursor"] is None
    context = (await client.get("/v1/memories/context", headers=auth)).json()
    assert [m["value"] for m in context["preference"]] == ["green tea"]
    bad = await client.post("/v1/memories", json={"category": "mood", "key": "x", "value": "y"}, headers=auth)
    assert bad.status_code == 422


async def test_memories_pagination(client, auth):
    for drink in ("tea", "coffee", "water"):
        await client.post("/v1/memories", json={"category": "preference", "key": "preference.drink",
                                                "value": drink}, headers=auth)
    page1 = (await client.get("/v1/memories?limit=2", headers=auth)).json()
    page2 = (await client.get(f"/v1/memories?limit=2&cursor={page1['next_cursor']}", headers=auth)).json()
    assert sorted(m["value"] for m in page1["items"] + page2["items"]) == ["coffee", "tea", "water"]
    assert (await client.get("/v1/memories?cursor=%%%", headers=auth)).status_code == 400


async def test_extract_preview_stores_nothing(client, auth):
    r = await client.post("/v1/memories/extract", json={"text": "I'm vegetarian and I live in Nantes."}, headers=auth)
    assert r.status_code == 200
    assert {m["value"] for m in r.json()["memories"]} >= {"Nantes"}
    assert (await client.get("/v1/memories", headers=auth)).json()["items"] == []


async def test_graph_and_metrics(client, auth):
    g = (await client.get("/v1/graph", headers=auth)).json()
    assert g["nodes"] == ["load_memory", "retrieve", "route", "generate", "extract", "hint", "persist"]
    assert "flowchart" in g["mermaid"] or "graph" in g["mermaid"]
    metrics = await client.get("/metrics/")
    assert "mnemo_turn_node_duration_seconds" in metrics.text
