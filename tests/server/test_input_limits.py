"""Input that could not be stored or read back gets a 422 at the edge, never a 500 and never a row that
breaks later reads: nesting deeper than the limit, NUL characters and lone surrogates anywhere in a JSON
body (real PostgreSQL and Redis)."""

from __future__ import annotations

import pytest

from server.json_guard import MAX_DEPTH, body_problem


def _nested(levels: int) -> dict:
    value: dict = {"leaf": "x"}
    for _ in range(levels - 1):
        value = {"k": value}
    return value


async def test_metadata_at_the_depth_limit_is_stored_and_read_back(client, auth):
    r = await client.post("/v1/threads", json={"title": "deep", "metadata": _nested(MAX_DEPTH - 1)}, headers=auth)
    assert r.status_code == 201, r.text
    for path in ("/v1/threads", f"/v1/threads/{r.json()['id']}", "/v1/memories/export"):
        assert (await client.get(path, headers=auth)).status_code == 200, path


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 256, 5000])
async def test_metadata_nested_deeper_than_the_limit_is_a_422(client, auth, levels):
    body = '{"title": "deep", "metadata": ' + '{"k": ' * levels + '1' + '}' * levels + '}'
    r = await client.post("/v1/threads", content=body, headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_request" and "nested deeper" in r.json()["error"]["message"]
    assert (await client.get("/v1/threads", headers=auth)).status_code == 200


@pytest.mark.parametrize(("raw", "says"), [
    ('{"message": "hi \\ud800"}', "surrogate"),
    ('{"message": "hi \\udfff there"}', "surrogate"),
    ('{"message": "hi \\u0000"}', "NUL"),
    ('{"message": "hi", "agent": "\\ud83d"}', "surrogate"),
])
async def test_unstorable_characters_in_a_chat_message_are_a_422(client, auth, raw, says):
    r = await client.post("/v1/chat", content=raw, headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert says in r.json()["error"]["message"]


async def test_a_paired_surrogate_is_an_ordinary_character(client, auth):
    r = await client.post("/v1/chat", content='{"message": "I love pizza \\ud83c\\udf55"}',
                          headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text


async def test_unstorable_characters_in_a_key_of_metadata_are_a_422(client, auth):
    r = await client.post("/v1/threads", content='{"metadata": {"a\\u0000b": 1}}',
                          headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 422


@pytest.mark.parametrize("path", ["/v1/memories?key=%00", "/v1/memories?thread_id=%ED%A0%80", "/v1/threads/a%00b",
                                  "/v1/threads/%ED%A0%80/messages", "/v1/threads/a%00b/history"])
async def test_odd_characters_in_a_query_string_are_not_a_500(client, auth, path):
    r = await client.get(path, headers=auth)
    assert r.status_code < 500, r.text


def test_the_check_leaves_bodies_that_are_not_json_to_the_route():
    assert body_problem(b"not json") is None and body_problem(b"") is None
    assert body_problem(b'{"a": [1, "ok", {"b": null}]}') is None
