"""Every paginated list answers a cursor it did not give out (malformed, or well-formed JSON of the wrong
shape) with the same 400 JSON error, never a 500 (real PostgreSQL and Redis)."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from server.pagination import INVALID


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


NOT_A_CURSOR = ["garbage!", "%%%", "e30", base64.urlsafe_b64encode(b"\xff\xfe").decode()]
WRONG_KEYSET = [
    _cursor([1, 2]), _cursor({"a": 1}), _cursor("2024-01-01"), _cursor([None, None]), _cursor([]), _cursor(12),
    _cursor(True), _cursor(["not a date", str(uuid.uuid4())]), _cursor(["2024-01-01T00:00:00+00:00"]),
    _cursor(["2024-01-01T00:00:00+00:00", "x", "y"]), _cursor([["nested"], "x"]),
]
WRONG_UUID = [_cursor(["2024-01-01T00:00:00+00:00", "not-a-uuid"]), _cursor(["2024-01-01T00:00:00+00:00", 7])]
WRONG_SEQ = [_cursor("1"), _cursor(-1), _cursor(2**70), _cursor(True), _cursor(1.5), _cursor([1])]
CASES = (
    [("/v1/memories", c) for c in NOT_A_CURSOR + WRONG_KEYSET + WRONG_UUID]
    + [("/v1/sessions", c) for c in NOT_A_CURSOR + WRONG_KEYSET + WRONG_UUID]
    + [("/v1/threads", c) for c in NOT_A_CURSOR + WRONG_KEYSET]
    + [("/v1/threads/{thread}/messages", c) for c in NOT_A_CURSOR + WRONG_SEQ]
    + [("/v1/threads/{thread}/history", c) for c in NOT_A_CURSOR + [_cursor(12), _cursor(["a"])]]
)


@pytest.fixture(scope="module")
async def thread_and_auth(client, resources):
    from tests.conftest import key_headers

    auth = await key_headers(resources, f"t-{uuid.uuid4().hex[:10]}", "alice")
    r = await client.post("/v1/chat", json={"message": "Hello there."}, headers=auth)
    assert r.status_code == 200
    return r.json()["thread_id"], auth


@pytest.mark.parametrize(("path", "cursor"), CASES)
async def test_a_cursor_the_endpoint_did_not_give_is_a_400(client, thread_and_auth, path, cursor):
    thread_id, auth = thread_and_auth
    answer = await client.get(path.format(thread=thread_id), params={"cursor": cursor}, headers=auth)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == {"code": "bad_request", "message": INVALID}
