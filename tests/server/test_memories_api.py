"""Memories over HTTP on the real services: bulk create, list filters, stats, export."""

import uuid

import pytest

from memory.db import tenant_connection
from tests.conftest import key_headers


def _item(category: str, key: str, value: str, **extra) -> dict:
    return {"category": category, "key": key, "value": value, **extra}


async def test_bulk_creates_in_order_in_one_call(client, auth):
    await client.post("/v1/memories", json=_item("preference", "preference.music", "jazz"), headers=auth)
    items = [_item("profile", "profile.name", "Rosa"), _item("preference", "preference.music", "jazz"),
             _item("profile", "profile.location", "Oslo"), _item("profile", "profile.location", "Bergen")]
    r = await client.post("/v1/memories/bulk", json={"items": items}, headers=auth)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["created"] == 3 and len(body["ids"]) == 4
    stored = {m["id"]: m for m in (await client.get("/v1/memories", params={"include_superseded": "true"},
                                                    headers=auth)).json()["items"]}
    assert [stored[i]["value"] for i in body["ids"]] == ["Rosa", "jazz", "Oslo", "Bergen"]
    assert stored[body["ids"][2]]["superseded_by"] == body["ids"][3]  # a later item replaced an earlier one


@pytest.mark.parametrize("items", [
    [_item("profile", "profile.name", "Sven"), _item("mood", "mood.today", "fine")],
    [_item("profile", "profile.name", "Sven"), _item("profile", "Bad Key", "x")],
    [_item("profile", "profile.name", "Sven"), _item("profile", "profile.age", "   ")],
    [_item("profile", f"profile.k{i}", "x") for i in range(101)],
    [],
])
async def test_bulk_validates_every_item_before_storing_any(client, auth, items):
    r = await client.post("/v1/memories/bulk", json={"items": items}, headers=auth)
    assert r.status_code == 422 and set(r.json()["error"]) == {"code", "message"}
    assert (await client.get("/v1/memories", headers=auth)).json()["items"] == []


async def test_list_filters_by_category_key_and_thread(client, auth):
    r = await client.post("/v1/threads/import", json={"messages": [{"role": "user", "content": "I live in Turku."}],
                                                     "extract": True}, headers=auth)
    thread_id = r.json()["thread_id"]
    await client.post("/v1/memories/bulk", json={"items": [
        _item("preference", "preference.music", "jazz"), _item("constraint", "constraint.diet", "vegan")]},
        headers=auth)

    async def values(**params) -> list[str]:
        r = await client.get("/v1/memories", params=params, headers=auth)
        assert r.status_code == 200, r.text
        return sorted(m["value"] for m in r.json()["items"])

    assert await values() == ["Turku", "jazz", "vegan"]
    assert await values(category="constraint") == ["vegan"]
    assert await values(key="preference.music") == ["jazz"]
    assert await values(thread_id=thread_id) == ["Turku"]
    assert await values(key="preference.nothing") == []
    assert (await client.get("/v1/memories", params={"category": "mood"}, headers=auth)).status_code == 422


async def test_stats_count_current_superseded_and_corrections(client, auth):
    empty = (await client.get("/v1/memories/stats", headers=auth)).json()
    empty.pop("cache")  # the process's lookups (tests/server/test_web_api.py)
    assert empty == {"by_category": {}, "current": 0, "superseded": 0, "corrections": 0, "oldest": None,
                     "newest": None, "by_source": {}, "hints": {"shown": 0, "applied": 0, "dismissed": 0, "snoozed": 0}}
    ids = (await client.post("/v1/memories/bulk", json={"items": [
        _item("profile", "profile.location", "Oslo"), _item("profile", "profile.location", "Bergen"),
        _item("preference", "preference.music", "jazz")]}, headers=auth)).json()["ids"]
    await client.patch(f"/v1/memories/{ids[2]}", json={"value": "blues"}, headers=auth)
    stats = (await client.get("/v1/memories/stats", headers=auth)).json()
    assert stats["by_category"] == {"profile": {"current": 1, "superseded": 1},
                                    "preference": {"current": 1, "superseded": 1}}
    assert (stats["current"], stats["superseded"], stats["corrections"]) == (2, 2, 1)
    assert stats["oldest"] <= stats["newest"]


async def test_export_holds_everything_of_the_caller_only(client, auth, resources, principal):
    chat = (await client.post("/v1/chat", json={"message": "I live in Lyon."}, headers=auth)).json()
    await client.post("/v1/chat", json={"message": "Actually I moved to Nantes.", "thread_id": chat["thread_id"]},
                      headers=auth)
    [current] = (await client.get("/v1/memories", headers=auth)).json()["items"]
    await client.patch(f"/v1/memories/{current['id']}", json={"value": "Rennes", "reason": "typo"}, headers=auth)
    other = await key_headers(resources, principal.tenant_id, "mallory")
    await client.post("/v1/chat", json={"message": "I live in Paris."}, headers=other)

    r = await client.get("/v1/memories/export", headers=auth)
    assert r.status_code == 200, r.text
    data = r.json()
    assert set(data) == {"exported_at", "user", "api_keys", "threads", "messages", "memories", "corrections",
                         "hints", "usage", "sessions"}
    assert data["user"]["user_id"] == principal.user_id
    assert [t["id"] for t in data["threads"]] == [chat["thread_id"]]
    assert [m["content"] for m in data["messages"] if m["role"] == "user"] == [
        "I live in Lyon.", "Actually I moved to Nantes."]
    assert [m["value"] for m in data["memories"]] == ["Lyon", "Nantes", "Rennes"]  # history included
    assert [(c["old_value"], c["new_value"], c["reason"]) for c in data["corrections"]] == [
        ("Nantes", "Rennes", "typo")]
    assert len(data["usage"]) == 2 and all(u["model"] for u in data["usage"])
    assert data["api_keys"] and "key_hash" not in data["api_keys"][0]
    assert [(s["turns"], s["learned"], s["updated"]) for s in data["sessions"]] == [(2, 1, 1)]
    assert "Paris" not in r.text and "embedding" not in r.text


async def test_export_of_a_user_with_nothing_stored(client, resources):
    headers = await key_headers(resources, f"t-{uuid.uuid4().hex[:10]}", "nobody")
    data = (await client.get("/v1/memories/export", headers=headers)).json()
    assert data["memories"] == [] and data["threads"] == [] and data["user"]["user_id"] == "nobody"


@pytest.mark.parametrize("other_tenant", [False, True])
async def test_another_users_memory_ids_are_404(client, auth, resources, principal, other_tenant):
    [memory_id] = (await client.post("/v1/memories/bulk", json={"items": [_item("profile", "profile.name", "Ugo")]},
                                     headers=auth)).json()["ids"]
    tenant = f"t-{uuid.uuid4().hex[:10]}" if other_tenant else principal.tenant_id
    other = await key_headers(resources, tenant, "mallory")
    assert (await client.get(f"/v1/memories/{memory_id}", headers=other)).status_code == 404
    assert (await client.delete(f"/v1/memories/{memory_id}", headers=other)).status_code == 404
    assert (await client.get("/v1/memories/stats", headers=other)).json()["current"] == 0
    assert (await client.get("/v1/memories/export", headers=other)).json()["memories"] == []
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        row = await (await conn.execute("SELECT value FROM memories WHERE id = %s", (memory_id,))).fetchone()
    assert row["value"] == "Ugo"
