"""GET /v1/usage on the real services: tokens and cost per model and UTC day, the caller's only."""

from datetime import UTC, datetime, timedelta

import pytest

from memory.db import tenant_connection
from memory.users import ensure_user
from tests.conftest import key_headers

INSERT_SQL = """
INSERT INTO usage (tenant_id, user_id, model, input_tokens, output_tokens, cost_usd, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s)"""


async def _record(resources, tenant_id: str, user_id: str, rows: list[tuple]) -> None:
    async with tenant_connection(resources.pool, tenant_id) as conn:
        await ensure_user(conn, tenant_id=tenant_id, user_id=user_id)
        for model, tokens_in, tokens_out, cost, at in rows:
            await conn.execute(INSERT_SQL, (tenant_id, user_id, model, tokens_in, tokens_out, cost, at))


async def test_usage_per_model_and_day(client, auth, resources, principal):
    day = datetime(2026, 3, 10, tzinfo=UTC)
    await _record(resources, principal.tenant_id, principal.user_id, [
        ("openai:gpt-4o-mini", 100, 20, 0.0012, day + timedelta(hours=1)),
        ("openai:gpt-4o-mini", 50, 10, 0.0006, day + timedelta(hours=23, minutes=59)),
        ("local", 70, 30, 0, day + timedelta(hours=5)),
        ("openai:gpt-4o-mini", 10, 1, 0.0001, day + timedelta(days=1, minutes=1)),
        ("openai:gpt-4o-mini", 999, 999, 9, day - timedelta(minutes=1)),  # the day before: outside
    ])
    await _record(resources, principal.tenant_id, "mallory", [("local", 5, 5, 1, day + timedelta(hours=2))])
    r = await client.get("/v1/usage", params={"since": "2026-03-10", "until": "2026-03-11"}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["since"], body["until"]) == ("2026-03-10", "2026-03-11")
    assert body["items"] == [
        {"day": "2026-03-11", "model": "openai:gpt-4o-mini", "calls": 1, "input_tokens": 10, "output_tokens": 1,
         "cost_usd": pytest.approx(0.0001), "unpriced_calls": 0},
        {"day": "2026-03-10", "model": "local", "calls": 1, "input_tokens": 70, "output_tokens": 30, "cost_usd": 0,
         "unpriced_calls": 0},
        {"day": "2026-03-10", "model": "openai:gpt-4o-mini", "calls": 2, "input_tokens": 150, "output_tokens": 30,
         "cost_usd": pytest.approx(0.0018), "unpriced_calls": 0},
    ]
    assert body["totals"] == {"calls": 4, "input_tokens": 230, "output_tokens": 61, "cost_usd": pytest.approx(0.0019),
                              "unpriced_calls": 0}


async def test_chat_turns_show_up_today(client, auth):
    await client.post("/v1/chat", json={"message": "Hello!"}, headers=auth)
    await client.post("/v1/chat", json={"message": "Hello again!"}, headers=auth)
    body = (await client.get("/v1/usage", headers=auth)).json()
    assert sum(i["calls"] for i in body["items"]) == 2  # today's (and yesterday's, just after midnight UTC)
    assert body["since"] == (datetime.fromisoformat(body["until"]) - timedelta(days=29)).date().isoformat()
    assert body["totals"]["input_tokens"] > 0 and body["totals"]["output_tokens"] > 0


async def test_no_usage_is_an_empty_report(client, resources, tenant):
    headers = await key_headers(resources, tenant, "nobody")
    body = (await client.get("/v1/usage", headers=headers)).json()
    assert body["items"] == [] and body["totals"] == {"calls": 0, "input_tokens": 0, "output_tokens": 0,
                                                      "cost_usd": 0, "unpriced_calls": 0}


@pytest.mark.parametrize("params, status", [
    ({"since": "2026-03-11", "until": "2026-03-10"}, 400),
    ({"since": "2020-01-01", "until": "2026-03-10"}, 400),
    ({"until": "0001-01-02"}, 400),
    ({"since": "9999-12-31", "until": "9999-12-31"}, 400),
    ({"since": "yesterday"}, 422),
    ({"until": "2026-13-01"}, 422),
])
async def test_bad_dates_are_refused(client, auth, params, status):
    r = await client.get("/v1/usage", params=params, headers=auth)
    assert r.status_code == status and set(r.json()["error"]) == {"code", "message"}


async def test_usage_needs_a_key(client):
    assert (await client.get("/v1/usage")).status_code == 401
