"""Memories over time through the API: corrections, deletion, imports replayed in order, archiving
a thread once, and the background extraction marker."""

import uuid
from unittest.mock import patch

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from graphs.resources import Resources
from graphs.runner import run_turn
from graphs.turn import build_turn_graph
from jobs.app import ensure_schema
from memory.consolidation import extract_message
from memory.db import tenant_connection
from nodes.persist import background_extraction
from tests.conftest import key_headers


async def _create(client, auth, category, key, value):
    r = await client.post("/v1/memories", json={"category": category, "key": key, "value": value}, headers=auth)
    assert r.status_code == 201
    return r.json()


async def _current_values(client, auth, **params):
    listing = (await client.get("/v1/memories", params=params, headers=auth)).json()
    return sorted(m["value"] for m in listing["items"])


async def _import(client, auth, *texts, extract):
    messages = [{"role": "user", "content": t, "created_at": f"2025-0{i + 1}-10T09:00:00Z"}
                for i, t in enumerate(texts)]
    r = await client.post("/v1/threads/import", json={"messages": messages, "extract": extract}, headers=auth)
    assert r.status_code == 201
    return r.json()


async def test_patch_records_a_correction_and_keeps_history(client, auth, resources, principal):
    old = await _create(client, auth, "profile", "profile.age", "43")
    r = await client.patch(f"/v1/memories/{old['id']}", json={"value": "34", "reason": "typo"}, headers=auth)
    assert r.status_code == 200
    new = r.json()
    assert new["value"] == "34" and new["id"] != old["id"]
    assert new["correction"]["old_value"] == "43" and new["correction"]["new_value"] == "34"
    assert await _current_values(client, auth) == ["34"]
    assert await _current_values(client, auth, include_superseded="true") == ["34", "43"]
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        audit = await (await conn.execute(
            "SELECT old_value, new_value, reason FROM memory_corrections WHERE tenant_id = %s AND user_id = %s",
            (principal.tenant_id, principal.user_id))).fetchall()
    assert audit == [{"old_value": "43", "new_value": "34", "reason": "typo"}]
    again = await client.patch(f"/v1/memories/{old['id']}", json={"value": "35"}, headers=auth)
    assert again.status_code == 409 and again.json()["error"]["code"]


async def test_patch_can_flip_polarity_and_bad_patches_are_refused(client, auth):
    jazz = await _create(client, auth, "preference", "preference.music", "jazz")
    r = await client.patch(f"/v1/memories/{jazz['id']}", json={"polarity": "negative"}, headers=auth)
    assert r.status_code == 200 and r.json()["polarity"] == "negative" and r.json()["value"] == "jazz"
    assert (await client.patch(f"/v1/memories/{r.json()['id']}", json={"value": "  "}, headers=auth)).status_code == 422
    assert (await client.patch(f"/v1/memories/{r.json()['id']}", json={"mood": "x"}, headers=auth)).status_code == 422
    assert (await client.patch("/v1/memories/not-a-uuid", json={"value": "x"}, headers=auth)).status_code == 422


async def test_another_users_memory_is_404_for_get_patch_delete(client, auth, resources, principal):
    mine = await _create(client, auth, "profile", "profile.location", "Oslo")
    other = await key_headers(resources, principal.tenant_id, "mallory")
    path = f"/v1/memories/{mine['id']}"
    for method, body in (("GET", None), ("PATCH", {"value": "Paris"}), ("DELETE", None)):
        r = await client.request(method, path, json=body, headers=other)
        assert r.status_code == 404 and "Oslo" not in r.text
    assert (await client.get(path, headers=auth)).json()["value"] == "Oslo"


async def test_delete_removes_the_memory_from_list_and_context(client, auth):
    mine = await _create(client, auth, "constraint", "constraint.allergy", "shellfish")
    assert (await client.delete(f"/v1/memories/{mine['id']}", headers=auth)).status_code == 204
    assert await _current_values(client, auth) == []
    assert (await client.get("/v1/memories/context", headers=auth)).json()["constraint"] == []
    assert (await client.delete(f"/v1/memories/{mine['id']}", headers=auth)).status_code == 404


async def test_import_with_extract_replays_the_conversation_in_order(client, auth):
    result = await _import(client, auth, "I live in Lyon.", "Big news: I moved to Bordeaux!",
                           extract=True)
    assert result["remembered"] >= 2
    assert await _current_values(client, auth, category="profile") == ["Bordeaux"]


async def test_archiving_consolidates_a_thread_once(client, auth):
    thread_id = (await _import(client, auth, "I'm a nurse.", "I live in Dundee.", extract=False))["thread_id"]
    assert await _current_values(client, auth) == []
    first = await client.patch(f"/v1/threads/{thread_id}", json={"archived": True}, headers=auth)
    assert first.status_code == 200
    body = first.json()
    assert body["archived"] is True and body["consolidated_at"] is not None
    assert body["consolidation"] == {"already_consolidated": False, "memories_written": 2}
    assert await _current_values(client, auth) == ["Dundee", "nurse"]
    second = (await client.patch(f"/v1/threads/{thread_id}", json={"archived": True}, headers=auth)).json()
    assert second["consolidation"] == {"already_consolidated": True, "memories_written": 0}
    assert await _current_values(client, auth) == ["Dundee", "nurse"]


async def test_thread_patch_renames_and_stars_and_hides_other_users_threads(client, auth, resources, principal):
    thread_id = (await _import(client, auth, "hello", extract=False))["thread_id"]
    r = await client.patch(f"/v1/threads/{thread_id}", json={"title": "Trip", "starred": True}, headers=auth)
    assert r.status_code == 200 and r.json()["title"] == "Trip" and r.json()["starred"] is True
    other = await key_headers(resources, principal.tenant_id, "mallory")
    assert (await client.patch(f"/v1/threads/{thread_id}", json={"title": "x"}, headers=other)).status_code == 404
    assert (await client.patch(f"/v1/threads/{thread_id}", json={"title": 3}, headers=auth)).status_code == 422


async def test_extract_message_writes_once_when_delivered_twice(client, auth, resources, principal):
    thread_id = (await _import(client, auth, "My name is Ingrid.", extract=False))["thread_id"]
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        [row] = await (await conn.execute("SELECT id FROM messages WHERE thread_id = %s", (thread_id,))).fetchall()
    assert await extract_message(resources, row["id"]) == 1
    assert await extract_message(resources, row["id"]) == 0
    assert await _current_values(client, auth) == ["Ingrid"]


async def test_background_mode_leaves_the_user_message_for_a_worker(resources, principal):
    """Rules run in the turn; the model pass is left to `extract_message` (the worker's job), which
    then writes what the model found, once."""
    model_reply = AIMessage('{"memories": [{"category": "business", "key": "business.tools", "value": "Jira"}]}')
    background = resources.with_settings(extraction="background", extraction_model="openai:test")
    await ensure_schema(resources.urls.database_url)  # what open_resources does in background mode
    assert background_extraction(background) and not background_extraction(resources)
    graph = build_turn_graph(background).compile(checkpointer=resources.checkpointer)
    text = "I live in Lyon. At the office our whole team tracks every single task and every bug in Jira these days."
    with patch.object(Resources, "extraction_model",
                      lambda self: GenericFakeChatModel(messages=iter([model_reply]))):
        result = await run_turn(graph, message=text, thread_id=f"th-{uuid.uuid4().hex[:8]}",
                                tenant_id=principal.tenant_id, user_id=principal.user_id, agent=None)
        assert [m["value"] for m in result.memories] == ["Lyon"]  # the rule pass, inline
        async with tenant_connection(resources.pool, principal.tenant_id) as conn:
            row = await (await conn.execute(
                "SELECT id, extracted_at, metadata FROM messages WHERE thread_id = %s AND role = 'user'",
                (result.thread_id,))).fetchone()
        assert row["extracted_at"] is None and row["metadata"]["extraction"] == "pending"
        assert await extract_message(background, row["id"]) == 1  # Jira; Lyon is a restatement
        message_id = row["id"]
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        row = await (await conn.execute("SELECT extracted_at, metadata FROM messages WHERE id = %s",
                                        (message_id,))).fetchone()
        values = await (await conn.execute(
            "SELECT value FROM memories WHERE tenant_id = %s AND user_id = %s ORDER BY value",
            (principal.tenant_id, principal.user_id))).fetchall()
    assert row["extracted_at"] is not None and "extraction" not in row["metadata"]
    assert [v["value"] for v in values] == ["Jira", "Lyon"]


async def test_forget_in_a_chat_turn_deletes_the_memory(client, auth):
    first = await client.post("/v1/chat", json={"message": "I love jazz and I live in Ghent."}, headers=auth)
    thread_id = first.json()["thread_id"]
    assert await _current_values(client, auth) == ["Ghent", "jazz"]
    await client.post("/v1/chat", json={"message": "En fait oublie ce que je t'ai dit sur le jazz.",
                                        "thread_id": thread_id}, headers=auth)
    assert await _current_values(client, auth, include_superseded="true") == ["Ghent"]
    context = (await client.get("/v1/memories/context", headers=auth)).json()
    assert [m["value"] for m in context["preference"]] == []


async def test_a_temporary_stay_does_not_replace_the_city(client, auth):
    first = await client.post("/v1/chat", json={"message": "I live in Leeds."}, headers=auth)
    await client.post("/v1/chat", json={"message": "This week I'm in Porto for a conference.",
                                        "thread_id": first.json()["thread_id"]}, headers=auth)
    current = (await client.get("/v1/memories", headers=auth)).json()["items"]
    by_key = {m["key"]: m for m in current}
    assert by_key["profile.location"]["value"] == "Leeds"
    assert by_key["fact.temporary_location"]["value"] == "Porto"
    assert by_key["fact.temporary_location"]["expires_at"] is not None
