"""The edge seen from outside: request ids, JSON log lines, the body limit for chunked bodies, CORS,
and the Prometheus series the issue asks for, each with a sample after real turns through the API."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest

from core.logging import REQUEST_ID, make_handler
from server.app import create_app
from tests.conftest import asgi_client, grew, metric_samples

NODES = ("load_memory", "retrieve", "route", "generate", "extract", "hint", "persist")


@pytest.fixture
def log_lines():
    """JSON log lines written while the test runs (root logger at INFO)."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_request_id_is_made_or_echoed(client):
    made = await client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32
    assert made.headers["X-Request-ID"] != (await client.get("/healthz")).headers["X-Request-ID"]
    assert (await client.get("/healthz", headers={"X-Request-ID": "req-42.a"})).headers["X-Request-ID"] == "req-42.a"
    # A value that could forge a log line is replaced, not echoed.
    forged = await client.get("/healthz", headers={"X-Request-ID": 'x" level=error'})
    assert forged.headers["X-Request-ID"] != 'x" level=error' and len(forged.headers["X-Request-ID"]) == 32
    # Errors carry it too.
    missing = await client.get("/v1/threads", headers={"X-Request-ID": "req-401"})
    assert missing.status_code == 401 and missing.headers["X-Request-ID"] == "req-401"


def test_text_and_json_lines_name_the_request():
    stream = io.StringIO()
    logger = logging.getLogger("mnemo.test.format")
    logger.propagate = False
    for fmt in ("text", "json"):
        handler = make_handler(fmt, stream)
        logger.addHandler(handler)
        token = REQUEST_ID.set("req-fmt")
        try:
            logger.warning("inside")
        finally:
            REQUEST_ID.reset(token)
        logger.warning("outside")
        logger.removeHandler(handler)
    text_in, text_out, json_in, json_out = stream.getvalue().splitlines()
    assert "WARNING mnemo.test.format [req-fmt]: inside" in text_in and "[-]: outside" in text_out
    assert json.loads(json_in)["request_id"] == "req-fmt" and json.loads(json_out)["request_id"] is None


async def test_log_lines_are_json_with_request_id_and_no_secrets(client, auth, log_lines):
    secret = f"my secret plan number {uuid.uuid4().hex}"
    answer = await client.post("/v1/chat", headers={**auth, "X-Request-ID": "req-chat-1"},
                               json={"message": f"I'm vegetarian. {secret}"})
    assert answer.status_code == 200
    lines = log_lines()
    [access] = [line for line in lines if line.get("route") == "/v1/chat"]
    assert access["request_id"] == "req-chat-1"
    assert (access["method"], access["path"], access["status"]) == ("POST", "/v1/chat", 200)
    assert access["duration_ms"] > 0 and access["level"] == "info" and access["logger"] == "mnemo.http"
    assert access["time"].endswith("+00:00")
    # Every line written during the request names it; nothing logs the key or the message.
    during = [line for line in lines if line["request_id"] not in (None, "-")]
    assert during and {line["request_id"] for line in during} == {"req-chat-1"}
    text = json.dumps(lines)
    assert secret not in text
    assert auth["Authorization"].split()[1] not in text


async def test_unhandled_error_is_json_500_with_request_id(settings, runtime, log_lines):
    app = create_app(settings, runtime=runtime)

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("kaboom")

    async with asgi_client(app) as http:
        answer = await http.get("/boom", headers={"X-Request-ID": "req-boom"})
    assert answer.status_code == 500
    assert answer.json() == {"error": {"code": "internal_error", "message": "internal error"}}
    assert answer.headers["X-Request-ID"] == "req-boom"
    [error] = [line for line in log_lines() if line["level"] == "error"]
    assert error["request_id"] == "req-boom" and "kaboom" in error["exc"]
    [access] = [line for line in log_lines() if line.get("route") == "/boom"]
    assert access["status"] == 500


async def test_body_limit_applies_to_chunked_bodies(settings, runtime, auth):
    app = create_app(settings.model_copy(update={"max_request_bytes": 1000}), runtime=runtime)
    payload = json.dumps({"message": "x" * 5000}).encode()

    async def chunks():
        for start in range(0, len(payload), 256):
            yield payload[start:start + 256]

    async with asgi_client(app) as http:
        chunked = await http.post("/v1/chat", headers={**auth, "Content-Type": "application/json"}, content=chunks())
        declared = await http.post("/v1/chat", headers=auth, content=payload)
        small = await http.post("/v1/memories/extract", headers=auth, json={"text": "I live in Nantes."})
    assert "content-length" not in chunked.request.headers
    for answer in (chunked, declared):
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "payload_too_large"
    assert small.status_code == 200


async def test_cors_only_when_configured(settings, runtime, client):
    origin = "https://app.example"
    preflight = {"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    app = create_app(settings.model_copy(update={"cors_origins": f"{origin}, https://other.example"}),
                     runtime=runtime)
    async with asgi_client(app) as http:
        answer = await http.options("/v1/chat", headers=preflight)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == origin
        assert "authorization" in answer.headers["access-control-allow-headers"].lower()
        refused = await http.get("/v1/threads", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in refused.headers
        error = await http.get("/v1/threads", headers={"Origin": origin})
        assert error.status_code == 401 and error.headers["access-control-allow-origin"] == origin
    # The default (empty) adds no CORS headers at all.
    plain = await client.get("/healthz", headers={"Origin": origin})
    assert not [h for h in plain.headers if h.startswith("access-control-")]


async def test_required_series_have_samples_after_turns(client, auth):
    before = metric_samples((await client.get("/metrics")).text)
    assert (await client.get("/v1/memories/context", headers=auth)).status_code == 200  # cache miss
    first = await client.post("/v1/chat", headers=auth, json={"message": "I'm vegetarian and I love jazz music."})
    assert first.status_code == 200 and first.json()["memories"]
    second = await client.post("/v1/chat", headers=auth, json={
        "message": "Any music recommendation for tonight?", "thread_id": first.json()["thread_id"]})
    assert second.status_code == 200 and second.json()["hints"]
    missing = await client.get(f"/v1/threads/{uuid.uuid4()}", headers=auth)
    assert missing.status_code == 404
    after = metric_samples((await client.get("/metrics")).text)

    model = first.json()["usage"]["model"]
    assert grew(before, after, "memory_query_duration_seconds_count") >= 2
    assert grew(before, after, "memory_preference_cache_total", outcome="hit") >= 1
    assert grew(before, after, "memory_preference_cache_total", outcome="miss") >= 1
    assert grew(before, after, "memory_proactive_hints_generated_total") >= 1
    assert grew(before, after, "memory_preferences_extracted_total", type="preference") >= 1
    for node in NODES:
        assert grew(before, after, "mnemo_turn_node_duration_seconds_count", node=node) == 2, node
    for direction in ("input", "output"):
        assert grew(before, after, "mnemo_model_tokens_total", model=model, direction=direction) > 0
    # The fake model is free: its cost series exists (and grows by what the usage rows say, 0 here).
    assert frozenset({("model", model)}) in after["mnemo_model_cost_usd_total"]
    assert grew(before, after, "mnemo_http_requests_total", route="/v1/chat", method="POST", status="200") == 2
    assert grew(before, after, "mnemo_http_request_duration_seconds_count", route="/v1/chat") == 2
    assert grew(before, after, "mnemo_http_errors_total", route="/v1/threads/{thread_id}", status="404") == 1
    # Route templates, never raw paths: no series names a thread id.
    assert not [k for k in after["mnemo_http_requests_total"] if str(missing.request.url.path) in dict(k)["route"]]
