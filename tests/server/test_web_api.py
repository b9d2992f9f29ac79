"""What the web app needs from the server, without a browser: the pages and their headers, the assets, a
memory's history, bulk forget, the dashboard's stats and the last turn's trace on GET /v1/graph."""

from __future__ import annotations

import re
import uuid

import pytest

from memory.db import tenant_connection
from server.web import ASSETS, PAGES
from tests.conftest import key_headers


@pytest.mark.parametrize("path", sorted(PAGES))
async def test_pages_carry_a_strict_content_security_policy(client, path):
    answer = await client.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in answer.text, "no inline script"
    assert not re.search(r"\son[a-z]+\s*=", answer.text), "no inline event handler"
    for asset in re.findall(r'(?:src|href)="([^"]+)"', answer.text):
        if asset.startswith("/assets/"):
            fetched = await client.get(asset)
            assert fetched.status_code == 200, asset
            assert "immutable" in fetched.headers["cache-control"]


async def test_pages_fill_in_the_agents_and_categories_escaped(client):
    chat = (await client.get("/")).text
    assert '<option value="planner"></option>' in chat and "{{" not in chat and "<title>Chat · Mnemo</title>" in chat
    memories = (await client.get("/memories")).text
    assert '<option value="constraint"></option>' in memories and ASSETS in memories


async def test_scripts_are_served_as_javascript_and_unknown_assets_are_404(client):
    script = await client.get(f"{ASSETS}/common.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert (await client.get(f"{ASSETS}/nope.js")).status_code == 404
    assert (await client.get(f"{ASSETS}/../pages/chat.html")).status_code == 404


async def _correct_twice(client, auth) -> tuple[dict, dict, dict]:
    first = (await client.post("/v1/memories", headers=auth, json={
        "category": "profile", "key": "profile.location", "value": "Bergen"})).json()
    second = (await client.patch(f"/v1/memories/{first['id']}", headers=auth,
                                 json={"value": "Oslo", "reason": "moved"})).json()
    third = (await client.patch(f"/v1/memories/{second['id']}", headers=auth, json={"value": "Tromsø"})).json()
    return first, second, third


async def test_history_is_the_whole_chain_from_any_version(client, auth):
    first, second, third = await _correct_twice(client, auth)
    for start in (first, second, third):
        answer = await client.get(f"/v1/memories/{start['id']}/history", headers=auth)
        assert answer.status_code == 200
        body = answer.json()
        assert [v["value"] for v in body["versions"]] == ["Bergen", "Oslo", "Tromsø"]
        assert [v["is_current"] for v in body["versions"]] == [False, False, True]
        assert [(c["old_value"], c["new_value"], c["reason"]) for c in body["corrections"]] == [
            ("Bergen", "Oslo", "moved"), ("Oslo", "Tromsø", None)]


async def test_history_of_someone_elses_memory_is_404(client, auth, resources, principal):
    first, _, _ = await _correct_twice(client, auth)
    other = await key_headers(resources, principal.tenant_id, "mallory")
    assert (await client.get(f"/v1/memories/{first['id']}/history", headers=other)).status_code == 404
    assert (await client.get(f"/v1/memories/{uuid.uuid4()}/history", headers=auth)).status_code == 404
    assert (await client.get("/v1/memories/not-a-uuid/history", headers=auth)).status_code == 422


async def test_forget_takes_the_history_and_skips_ids_not_the_callers(client, auth, resources, principal):
    first, second, third = await _correct_twice(client, auth)
    kept = (await client.post("/v1/memories", headers=auth, json={
        "category": "preference", "key": "preference.music", "value": "jazz"})).json()
    other = await key_headers(resources, principal.tenant_id, "mallory")
    theirs = (await client.post("/v1/memories", headers=other, json={
        "category": "preference", "key": "preference.music", "value": "metal"})).json()
    answer = await client.post("/v1/memories/forget", headers=auth,
                               json={"ids": [third["id"], third["id"], theirs["id"], str(uuid.uuid4())]})
    assert answer.status_code == 200 and answer.json() == {"forgotten": 1}
    left = (await client.get("/v1/memories?include_superseded=true", headers=auth)).json()["items"]
    assert [m["id"] for m in left] == [kept["id"]]  # no past version of the forgotten one stays
    assert (await client.get(f"/v1/memories/{theirs['id']}", headers=other)).status_code == 200
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        corrections = await (await conn.execute(
            "SELECT count(*) AS n FROM memory_corrections WHERE tenant_id = %s AND user_id = %s",
            (principal.tenant_id, principal.user_id))).fetchone()
    assert corrections["n"] == 0
    context = (await client.get("/v1/memories/context", headers=auth)).json()
    assert not context["profile"]


@pytest.mark.parametrize("body", [{"ids": []}, {"ids": ["nope"]}, {}, {"ids": [str(uuid.uuid4())] * 201}])
async def test_forget_refuses_bad_bodies(client, auth, body):
    answer = await client.post("/v1/memories/forget", headers=auth, json=body)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_request"


async def test_forget_marks_the_stating_message_out_of_search(client, auth, resources, principal):
    await client.post("/v1/chat", headers=auth, json={"message": "I live in Bergen."})
    [memory] = (await client.get("/v1/memories", headers=auth)).json()["items"]
    await client.post("/v1/memories/forget", headers=auth, json={"ids": [memory["id"]]})
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        row = await (await conn.execute("SELECT metadata FROM messages WHERE id = %s",
                                        (memory["source_message_id"],))).fetchone()
    assert row["metadata"].get("forgotten") is True


async def test_stats_count_sources_hints_and_cache(client, auth):
    await client.post("/v1/memories", headers=auth, json={"category": "preference", "key": "preference.music",
                                                          "value": "jazz"})
    answer = await client.post("/v1/chat", headers=auth, json={"message": "Any music recommendation for tonight? "
                                                                          "I'm vegetarian by the way."})
    [hint] = [h for h in answer.json()["hints"] if "jazz" in h["text"]]
    await client.post(f"/v1/hints/{hint['id']}/feedback", headers=auth, json={"action": "dismissed"})
    stats = (await client.get("/v1/memories/stats", headers=auth)).json()
    assert stats["by_source"] == {"other": 1, "rules": 1}
    assert stats["hints"]["shown"] >= 1 and stats["hints"]["dismissed"] == 1 and stats["hints"]["applied"] == 0
    cache = stats["cache"]
    assert set(cache) == {"hits", "misses", "errors", "hit_rate"}
    looked_up = cache["hits"] + cache["misses"]
    assert cache["hit_rate"] == (round(cache["hits"] / looked_up, 4) if looked_up else None)


async def test_graph_answers_the_callers_last_turn(client, auth, resources, principal):
    assert (await client.get("/v1/graph", headers=auth)).json()["last_turn"] is None
    turn = (await client.post("/v1/chat", headers=auth, json={"message": "Write a SQL query."})).json()
    last = (await client.get("/v1/graph", headers=auth)).json()["last_turn"]
    assert (last["thread_id"], last["agent"]) == (turn["thread_id"], "coder")
    nodes = ["load_memory", "retrieve", "route", "generate", "extract", "hint", "persist"]
    assert last["path"] == nodes and set(last["node_ms"]) == set(nodes)
    assert all(ms >= 0 for ms in last["node_ms"].values())
    other = await key_headers(resources, principal.tenant_id, "mallory")
    assert (await client.get("/v1/graph", headers=other)).json()["last_turn"] is None
    assert (await client.delete("/v1/me", headers=auth)).status_code == 204
    again = await key_headers(resources, principal.tenant_id, principal.user_id)
    assert (await client.get("/v1/graph", headers=again)).json()["last_turn"] is None  # erased with the user
