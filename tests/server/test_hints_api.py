"""POST /v1/hints/{id}/feedback: stored for the caller's own hints only, JSON errors otherwise."""

import uuid

import pytest

from memory.db import tenant_connection
from tests.conftest import grew, key_headers, metric_samples


async def _hint(client, auth) -> dict:
    await client.post("/v1/memories", headers=auth,
                      json={"category": "preference", "key": "preference.music", "value": "jazz"})
    answer = await client.post("/v1/chat", headers=auth, json={"message": "Any music recommendation for tonight?"})
    [hint] = [h for h in answer.json()["hints"] if "jazz" in h["text"]]
    return hint


async def test_feedback_is_stored_and_snoozes(client, auth):
    hint = await _hint(client, auth)
    answer = await client.post(f"/v1/hints/{hint['id']}/feedback", headers=auth,
                               json={"action": "snoozed", "snooze_seconds": 600})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["id"], body["feedback"], body["memory_id"]) == (hint["id"], "snoozed", hint["memory_id"])
    assert body["snoozed_until"] > body["feedback_at"]
    applied = await client.post(f"/v1/hints/{hint['id']}/feedback", headers=auth, json={"action": "applied"})
    assert (applied.status_code, applied.json()["feedback"], applied.json()["snoozed_until"]) == (200, "applied", None)


async def test_feedback_counts_in_metrics(client, auth):
    before = metric_samples((await client.get("/metrics/")).text)
    hint = await _hint(client, auth)
    await client.post(f"/v1/hints/{hint['id']}/feedback", headers=auth, json={"action": "dismissed"})
    after = metric_samples((await client.get("/metrics/")).text)
    assert grew(before, after, "memory_proactive_hints_feedback_total", action="dismissed") == 1
    assert grew(before, after, "memory_preference_cache_loads_total", reason="prefetch") >= 1  # the session start


@pytest.mark.parametrize("hint_id", [str(uuid.uuid4()), "not-a-uuid"])
async def test_unknown_hint_is_404(client, auth, hint_id):
    answer = await client.post(f"/v1/hints/{hint_id}/feedback", headers=auth, json={"action": "applied"})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


async def test_another_users_hint_is_404(client, auth, resources, principal):
    hint = await _hint(client, auth)
    for tenant, user in ((principal.tenant_id, "mallory"), ("x-" + principal.tenant_id, principal.user_id)):
        other = await key_headers(resources, tenant, user)
        answer = await client.post(f"/v1/hints/{hint['id']}/feedback", headers=other, json={"action": "dismissed"})
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        row = await (await conn.execute("SELECT feedback FROM hints WHERE id = %s", (hint["id"],))).fetchone()
    assert row == {"feedback": None}


@pytest.mark.parametrize("body", [{"action": "loved"}, {}, {"action": "snoozed", "snooze_seconds": -5},
                                  {"action": "applied", "extra": 1}])
async def test_bad_feedback_is_422(client, auth, body):
    hint = await _hint(client, auth)
    answer = await client.post(f"/v1/hints/{hint['id']}/feedback", headers=auth, json=body)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_request"


async def test_feedback_needs_a_key(client):
    answer = await client.post(f"/v1/hints/{uuid.uuid4()}/feedback", json={"action": "applied"})
    assert answer.status_code == 401
