"""Threads over HTTP on the real services: list, create, get, delete, bulk archive, history."""

import uuid

import pytest

from jobs.app import ensure_schema
from jobs.enqueue import enqueue_extraction
from memory.db import tenant_connection
from tests.conftest import key_headers


async def _import(client, auth, *texts: str, title: str | None = None) -> str:
    body = {"title": title, "messages": [{"role": "user", "content": t} for t in texts]}
    r = await client.post("/v1/threads/import", json=body, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()["thread_id"]


async def test_create_get_and_list_newest_first_with_cursor(client, auth):
    r = await client.post("/v1/threads", json={"title": "Trip", "metadata": {"source": "app"}}, headers=auth)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["title"] == "Trip" and created["metadata"] == {"source": "app"}
    assert created["archived"] is False and created["starred"] is False
    assert (await client.get(f"/v1/threads/{created['id']}", headers=auth)).json() == created
    ids = [created["id"]] + [(await client.post("/v1/threads", json={}, headers=auth)).json()["id"] for _ in range(2)]

    first = (await client.get("/v1/threads", params={"limit": 2}, headers=auth)).json()
    assert [t["id"] for t in first["items"]] == ids[::-1][:2] and first["next_cursor"]
    second = (await client.get("/v1/threads", params={"limit": 2, "cursor": first["next_cursor"]},
                               headers=auth)).json()
    assert [t["id"] for t in second["items"]] == [ids[0]] and second["next_cursor"] is None


async def test_filters_archived_and_starred(client, auth):
    plain, starred, archived = [(await client.post("/v1/threads", json={}, headers=auth)).json()["id"]
                                for _ in range(3)]
    await client.patch(f"/v1/threads/{starred}", json={"starred": True}, headers=auth)
    await client.patch(f"/v1/threads/{archived}", json={"archived": True}, headers=auth)

    async def listed(**params) -> set[str]:
        r = await client.get("/v1/threads", params=params, headers=auth)
        assert r.status_code == 200, r.text
        return {t["id"] for t in r.json()["items"]}

    assert await listed() == {plain, starred, archived}
    assert await listed(starred="true") == {starred}
    assert await listed(archived="true") == {archived}
    assert await listed(archived="false", starred="false") == {plain}


@pytest.mark.parametrize("params", [{"cursor": "!!"}, {"cursor": "WzFd"}, {"limit": 0}, {"archived": "maybe"}])
async def test_bad_list_parameters_are_4xx_json(client, auth, params):
    r = await client.get("/v1/threads", params=params, headers=auth)
    assert r.status_code in (400, 422) and set(r.json()["error"]) == {"code", "message"}


async def test_create_refuses_unknown_fields(client, auth):
    r = await client.post("/v1/threads", json={"title": "x", "owner": "mallory"}, headers=auth)
    assert r.status_code == 422


async def test_delete_removes_thread_messages_hints_checkpoints_and_jobs_but_keeps_memories(
        client, auth, resources, principal):
    first = await client.post("/v1/chat", json={"message": "I'm vegetarian and I live in Porto."}, headers=auth)
    thread_id = first.json()["thread_id"]
    await client.post("/v1/chat", json={"message": "Any idea for dinner tonight?", "thread_id": thread_id},
                      headers=auth)
    kept = await client.post("/v1/chat", json={"message": "I love jazz."}, headers=auth)
    await ensure_schema(resources.urls.database_url)
    owner = (principal.tenant_id, principal.user_id)
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        [message] = await (await conn.execute(
            "SELECT id FROM messages WHERE thread_id = %s AND role = 'user' ORDER BY seq LIMIT 1",
            (thread_id,))).fetchall()
        await conn.execute("INSERT INTO hints (tenant_id, user_id, thread_id, type, text, score) "
                           "VALUES (%s, %s, %s, 'preference_reminder', 'x', 0.5)", (*owner, thread_id))
    assert await enqueue_extraction(resources, [message["id"]], tenant_id=principal.tenant_id) == 1

    r = await client.delete(f"/v1/threads/{thread_id}", headers=auth)
    assert r.status_code == 204 and r.content == b""
    assert (await client.get(f"/v1/threads/{thread_id}", headers=auth)).status_code == 404
    assert (await client.delete(f"/v1/threads/{thread_id}", headers=auth)).status_code == 404
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        for table in ("messages", "hints"):
            row = await (await conn.execute(f"SELECT count(*) AS n FROM {table} WHERE thread_id = %s",
                                            (thread_id,))).fetchone()
            assert row["n"] == 0, table
        memories = await (await conn.execute(
            "SELECT value, thread_id, source_message_id FROM memories WHERE tenant_id = %s AND user_id = %s",
            owner)).fetchall()
    async with resources.pool.connection() as conn:
        for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
            row = await (await conn.execute(f"SELECT count(*) AS n FROM {table} WHERE thread_id = %s",
                                            (thread_id,))).fetchone()
            assert row["n"] == 0, table
        jobs = await (await conn.execute("SELECT count(*) AS n FROM procrastinate_jobs WHERE args->>'message_id' = %s",
                                          (str(message["id"]),))).fetchone()
        other = await (await conn.execute("SELECT count(*) AS n FROM checkpoints WHERE thread_id = %s",
                                           (kept.json()["thread_id"],))).fetchone()
    assert jobs["n"] == 0 and other["n"] == 1
    learned = {m["value"]: m for m in memories}
    assert {"vegetarian", "Porto", "jazz"} <= set(learned)
    assert learned["Porto"]["thread_id"] is None and learned["Porto"]["source_message_id"] is None
    assert learned["jazz"]["thread_id"] == kept.json()["thread_id"]
    listed = (await client.get("/v1/memories", headers=auth)).json()["items"]
    assert {"vegetarian", "Porto"} <= {m["value"] for m in listed}


async def test_bulk_archive_consolidates_each_thread_once(client, auth):
    one = await _import(client, auth, "My name is Oskar.")
    two = await _import(client, auth, "I live in Bergen.")
    r = await client.post("/v1/threads/archive", json={"thread_ids": [one, two, one]}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["items"] == [
        {"thread_id": one, "consolidation": {"already_consolidated": False, "memories_written": 1}},
        {"thread_id": two, "consolidation": {"already_consolidated": False, "memories_written": 1}},
    ]
    again = (await client.post("/v1/threads/archive", json={"thread_ids": [two]}, headers=auth)).json()
    assert again["items"][0]["consolidation"] == {"already_consolidated": True, "memories_written": 0}
    archived = (await client.get("/v1/threads", params={"archived": "true"}, headers=auth)).json()["items"]
    assert {t["id"] for t in archived} == {one, two}
    values = {m["value"] for m in (await client.get("/v1/memories", headers=auth)).json()["items"]}
    assert values == {"Oskar", "Bergen"}


async def test_bulk_archive_checks_every_id_first_and_caps_at_100(client, auth, resources, principal):
    mine = await _import(client, auth, "My name is Petra.")
    theirs = await _import(client, await key_headers(resources, principal.tenant_id, "mallory"), "hello")
    for ids in ([mine, theirs], [mine, "no-such-thread"]):
        r = await client.post("/v1/threads/archive", json={"thread_ids": ids}, headers=auth)
        assert r.status_code == 404 and mine not in r.json()["error"]["message"]
    assert (await client.get(f"/v1/threads/{mine}", headers=auth)).json()["archived"] is False
    for body in ({"thread_ids": []}, {"thread_ids": [mine] * 101}, {}):
        assert (await client.post("/v1/threads/archive", json=body, headers=auth)).status_code == 422


async def test_history_lists_checkpoints_newest_first(client, auth):
    thread_id = (await client.post("/v1/chat", json={"message": "Hello there."}, headers=auth)).json()["thread_id"]
    await client.post("/v1/chat", json={"message": "How are you?", "thread_id": thread_id}, headers=auth)
    r = await client.get(f"/v1/threads/{thread_id}/history", headers=auth)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 2 and r.json()["next_cursor"] is None
    assert set(items[0]) == {"id", "step", "node", "source", "created_at", "parent_id"}
    assert items[0]["step"] > items[1]["step"] and items[0]["created_at"] > items[1]["created_at"]
    assert [i["node"] for i in items] == ["persist", "persist"]
    assert items[0]["parent_id"] == items[1]["id"]
    page = (await client.get(f"/v1/threads/{thread_id}/history", params={"limit": 1}, headers=auth)).json()
    assert [i["id"] for i in page["items"]] == [items[0]["id"]]
    rest = (await client.get(f"/v1/threads/{thread_id}/history", params={"cursor": page["next_cursor"]},
                             headers=auth)).json()
    assert [i["id"] for i in rest["items"]] == [items[1]["id"]] and rest["next_cursor"] is None
    created = (await client.post("/v1/threads", json={}, headers=auth)).json()["id"]
    assert (await client.get(f"/v1/threads/{created}/history", headers=auth)).json()["items"] == []


async def test_messages_oldest_first_with_cursor(client, auth):
    thread_id = await _import(client, auth, "one", "two", "three")
    first = (await client.get(f"/v1/threads/{thread_id}/messages", params={"limit": 2}, headers=auth)).json()
    assert [m["content"] for m in first["items"]] == ["one", "two"]
    rest = (await client.get(f"/v1/threads/{thread_id}/messages", params={"cursor": first["next_cursor"]},
                             headers=auth)).json()
    assert [m["content"] for m in rest["items"]] == ["three"] and rest["next_cursor"] is None
    assert set(first["items"][0]) >= {"id", "seq", "role", "content", "created_at", "metadata"}



async def test_messages_newest_first_pages_back_to_the_first(client, auth):
    thread_id = await _import(client, auth, "one", "two", "three", "four", "five")
    url, seen, cursor = f"/v1/threads/{thread_id}/messages", [], None
    while True:
        page = (await client.get(url, params={"order": "desc", "limit": 2, **({"cursor": cursor} if cursor else {})},
                                 headers=auth)).json()
        seen.append([m["content"] for m in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [["five", "four"], ["three", "two"], ["one"]]
    assert (await client.get(url, params={"order": "sideways"}, headers=auth)).status_code == 422


@pytest.mark.parametrize("other_tenant", [False, True])
async def test_another_users_thread_is_404_everywhere(client, auth, resources, principal, other_tenant):
    thread_id = await _import(client, auth, "My name is Quentin.")
    tenant = f"t-{uuid.uuid4().hex[:10]}" if other_tenant else principal.tenant_id
    other = await key_headers(resources, tenant, "mallory")
    for method, path, body in [
        ("GET", f"/v1/threads/{thread_id}", None), ("DELETE", f"/v1/threads/{thread_id}", None),
        ("GET", f"/v1/threads/{thread_id}/history", None), ("GET", f"/v1/threads/{thread_id}/messages", None),
        ("PATCH", f"/v1/threads/{thread_id}", {"title": "x"}),
        ("POST", "/v1/threads/archive", {"thread_ids": [thread_id]}),
    ]:
        r = await client.request(method, path, json=body, headers=other)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["error"]["code"] == "not_found"
    assert (await client.get("/v1/threads", headers=other)).json()["items"] == []
    assert (await client.get(f"/v1/threads/{thread_id}", headers=auth)).json()["archived"] is False
