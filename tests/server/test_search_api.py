"""POST /v1/search: the contract's shape, the caller's filters, and 422 (never 500) for bad input."""

import pytest

from memory.db import tenant_connection
from memory.embeddings import aembed
from memory.memories import NewMemory, render, save_memories
from tests.conftest import key_headers

FIELDS = {"type", "id", "content", "score", "thread_id", "category", "created_at", "metadata"}


async def _import(client, auth, messages, title="past"):
    r = await client.post("/v1/threads/import", json={"title": title, "messages": messages}, headers=auth)
    assert r.status_code == 201
    return r.json()["thread_id"]


async def _search(client, auth, **body):
    r = await client.post("/v1/search", json=body, headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


async def test_results_follow_the_contract(client, auth, resources, principal):
    thread = await _import(client, auth, [
        {"role": "user", "content": "We booked the Zanzibar ferry for the 12th", "created_at": "2024-03-01T10:00:00Z",
         "metadata": {"dia_id": "D1:1"}},
    ])
    [vector] = await aembed(resources.embedder, [render("preference", "preference.travel", "ferries", "positive")])
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        await save_memories(conn, tenant_id=principal.tenant_id, user_id=principal.user_id,
                            memories=[NewMemory("preference", "preference.travel", "ferries")], embeddings=vector[None])
    body = await _search(client, auth, query="Zanzibar ferry", k=5)
    assert isinstance(body["took_ms"], float) and body["results"]
    for hit in body["results"]:
        assert set(hit) == FIELDS and 0 < hit["score"] <= 1
    message = next(h for h in body["results"] if h["type"] == "message")
    assert message["thread_id"] == thread and message["category"] is None
    assert message["metadata"] == {"role": "user", "dia_id": "D1:1"}
    assert message["created_at"].startswith("2024-03-01T10:00:00")
    memory = next(h for h in body["results"] if h["type"] == "memory")
    assert memory["category"] == "preference" and memory["metadata"]["value"] == "ferries"


async def test_time_window_and_type_filters(client, auth):
    await _import(client, auth, [
        {"role": "user", "content": "The Lisbon tram was packed", "created_at": "2023-05-01T09:00:00Z"},
        {"role": "user", "content": "The Lisbon tram broke down", "created_at": "2024-05-01T09:00:00Z"},
    ])
    body = await _search(client, auth, query="Lisbon tram", types=["message"], since="2024-01-01T00:00:00Z")
    assert [h["content"] for h in body["results"]] == ["The Lisbon tram broke down"]
    body = await _search(client, auth, query="Lisbon tram", types=["message"], until="2024-01-01T00:00:00Z")
    assert [h["content"] for h in body["results"]] == ["The Lisbon tram was packed"]
    assert (await _search(client, auth, query="Lisbon tram", types=["memory"]))["results"] == []


async def test_only_the_callers_rows(client, auth, resources, principal):
    await _import(client, auth, [{"role": "user", "content": "My locker code is Quokka-88"}])
    other = await key_headers(resources, principal.tenant_id, "mallory")
    assert (await _search(client, other, query="Quokka locker code", min_score=0))["results"] == []
    assert (await _search(client, auth, query="Quokka locker code"))["results"]


@pytest.mark.parametrize("body", [
    {},
    {"query": ""},
    {"query": "   "},
    {"query": "x" * 2001},
    {"query": "x", "k": 0},
    {"query": "x", "k": 51},
    {"query": "x", "k": "many"},
    {"query": "x", "types": []},
    {"query": "x", "types": ["document"]},
    {"query": "x", "categories": ["colour"]},
    {"query": "x", "categories": []},
    {"query": "x", "since": "yesterday"},
    {"query": "x", "since": "2024-05-01T00:00:00Z", "until": "2024-04-01T00:00:00Z"},
    {"query": "x", "min_score": 1.5},
    {"query": "x", "thread_id": "a b"},
    {"query": "x", "unknown": 1},
    {"query": 42},
])
async def test_bad_input_is_422_json(client, auth, body):
    r = await client.post("/v1/search", json=body, headers=auth)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


async def test_not_json_is_422(client, auth):
    r = await client.post("/v1/search", content=b"{not json", headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


async def test_unknown_thread_is_404(client, auth):
    r = await client.post("/v1/search", json={"query": "x", "thread_id": "no-such-thread"}, headers=auth)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
