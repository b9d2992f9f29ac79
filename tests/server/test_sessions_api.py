"""GET /v1/sessions: the caller's sessions from their turns, newest first in cursor pages, nobody else's,
and a cursor it did not give is a 400 JSON error (tests/server/test_cursors.py)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from memory.db import tenant_connection
from memory.sessions import record_turn
from memory.users import ensure_user
from tests.conftest import key_headers


async def _sessions(resources, tenant: str, user: str, count: int) -> list[str]:
    """`count` past sessions of two turns each, two hours apart; their ids, newest first."""
    start = datetime.now(UTC) - timedelta(hours=2 * count + 2)
    ids = []
    async with tenant_connection(resources.pool, tenant) as conn:
        await ensure_user(conn, tenant_id=tenant, user_id=user)
        for i in range(count):
            at = start + timedelta(hours=2 * i)
            session_id = await record_turn(conn, tenant_id=tenant, user_id=user, at=at, learned=i)
            await record_turn(conn, tenant_id=tenant, user_id=user, at=at + timedelta(minutes=20), updated=1)
            ids.append(str(session_id))
    return ids[::-1]


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def test_turns_make_a_session_that_the_list_shows(client, auth):
    first = (await client.post("/v1/chat", json={"message": "I live in Lyon."}, headers=auth)).json()
    await client.post("/v1/chat", json={"message": "Actually I moved to Nantes.", "thread_id": first["thread_id"]},
                      headers=auth)
    await client.post("/v1/chat", json={"message": "Hello there."}, headers=auth)  # another thread, same session

    answer = await client.get("/v1/sessions", headers=auth)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    [session] = body["items"]
    assert body["next_cursor"] is None
    assert (session["turns"], session["learned"], session["updated"], session["forgotten"]) == (3, 1, 1, 0)
    assert (session["ended"], session["ended_at"], session["consolidated_at"], session["consolidation"]) == (
        False, None, None, None)
    assert session["started_at"] <= session["last_turn_at"]


async def test_pages_newest_first(client, resources, principal, auth):
    ids = await _sessions(resources, principal.tenant_id, principal.user_id, 5)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/sessions", params=params, headers=auth)).json()
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and [s["id"] for s in seen] == ids
    assert all(s["ended"] and s["ended_at"] == s["last_turn_at"] and s["turns"] == 2 for s in seen)
    assert [s["learned"] for s in seen] == [4, 3, 2, 1, 0]


@pytest.mark.parametrize("who", ["other-user", "other-tenant", "same-user-id-other-tenant"])
async def test_nobody_else_sees_them(client, resources, principal, auth, who):
    await _sessions(resources, principal.tenant_id, principal.user_id, 2)
    tenant, user = {"other-user": (principal.tenant_id, "bob"),
                    "other-tenant": (f"t-{uuid.uuid4().hex[:10]}", "mallory"),
                    "same-user-id-other-tenant": (f"t-{uuid.uuid4().hex[:10]}", principal.user_id)}[who]
    other = await key_headers(resources, tenant, user)
    mine = (await client.get("/v1/sessions", headers=auth)).json()
    assert len(mine["items"]) == 2
    theirs = await client.get("/v1/sessions", headers=other)
    assert theirs.status_code == 200 and theirs.json() == {"items": [], "next_cursor": None}
    # a cursor of alice's pages nothing of hers for them
    page = (await client.get("/v1/sessions", params={"limit": 1}, headers=auth)).json()
    theirs = await client.get("/v1/sessions", params={"cursor": page["next_cursor"]}, headers=other)
    assert theirs.json()["items"] == []


async def test_requires_a_key(client):
    answer = await client.get("/v1/sessions")
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("limit", [0, 201, "x"])
async def test_a_bad_limit_is_a_422(client, auth, limit):
    answer = await client.get("/v1/sessions", params={"limit": limit}, headers=auth)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_request"
