"""Per-key rate limits in Redis: 429 with Retry-After, one budget across API processes, health and
metrics never limited, and a Redis outage lets requests through (counted) instead of failing them."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from server.app import create_app
from server.ratelimit import Rate, parse_rate
from tests.conftest import asgi_client, key_headers, make_key


@pytest.fixture
def limited_settings(settings):
    return settings.model_copy(update={"rate_limit": "3/minute"})


@pytest.fixture
async def key(resources, tenant) -> str:
    return await make_key(resources, tenant, "alice")


@pytest.mark.parametrize(("text", "rate"), [
    ("120/minute", Rate(120, 60)), ("10/second", Rate(10, 1)), ("1000/hours", Rate(1000, 3600)),
    ("500/5m", Rate(500, 300)), (" 7 / day ", Rate(7, 86400)),
    ("", None), ("0", None), ("off", None), ("0/minute", None), (None, None),
])
def test_parse_rate(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["many", "10/fortnight", "-1/minute", "10"])
def test_parse_rate_refuses_nonsense(text):
    with pytest.raises(ValueError, match="invalid rate limit"):
        parse_rate(text)


def test_bad_setting_fails_at_startup(settings, runtime):
    with pytest.raises(ValueError, match="invalid rate limit"):
        create_app(settings.model_copy(update={"rate_limit": "lots"}), runtime=runtime)


async def test_over_the_limit_is_429_with_retry_after(limited_settings, runtime, key, resources, tenant):
    headers = {"Authorization": f"Bearer {key}"}
    refusals = {"route": "/v1/threads", "method": "GET", "status": "429"}
    refused_before = REGISTRY.get_sample_value("mnemo_http_errors_total", refusals) or 0.0
    async with asgi_client(create_app(limited_settings, runtime=runtime)) as http:
        answers = [await http.get("/v1/threads", headers=headers) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
        assert answers[0].headers["X-RateLimit-Limit"] == "3"

        refused = await http.get("/v1/threads", headers=headers)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 20  # one request every 20 s refills
        assert refused.headers["X-Request-ID"]
        # Answered before routing, and still counted under its route template.
        assert REGISTRY.get_sample_value("mnemo_http_errors_total", refusals) - refused_before == 1

        # Another key of the same user has its own budget; health and metrics are never limited.
        other = await key_headers(resources, tenant, "alice")
        assert (await http.get("/v1/threads", headers=other)).status_code == 200
        for path in ("/healthz", "/metrics", "/healthz", "/metrics"):
            assert (await http.get(path, headers=headers)).status_code == 200


async def test_budget_is_shared_by_all_api_processes(limited_settings, runtime, key):
    """Two app instances (two processes' worth of middleware) spend one budget in Redis."""
    headers = {"Authorization": f"Bearer {key}"}
    async with asgi_client(create_app(limited_settings, runtime=runtime)) as one, \
            asgi_client(create_app(limited_settings, runtime=runtime)) as two:
        codes = [(await http.get("/v1/threads", headers=headers)).status_code for http in (one, two, one, two)]
    assert codes == [200, 200, 200, 429]


async def test_budget_refills(settings, runtime, key):
    headers = {"Authorization": f"Bearer {key}"}
    # 2 per 4 s: one request comes back every 2 s. (At 2/second, three requests on a loaded machine took over
    # the 0.5 s that refills one, and the third passed: a CI failure.)
    async with asgi_client(create_app(settings.model_copy(update={"rate_limit": "2/4s"}), runtime=runtime)) as http:
        codes = [(await http.get("/v1/threads", headers=headers)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        await asyncio.sleep(2.1)
        assert (await http.get("/v1/threads", headers=headers)).status_code == 200


async def test_invalid_keys_are_limited_too(limited_settings, runtime):
    """Guessing keys spends the guessed key's budget: the limit sits before authentication."""
    headers = {"Authorization": f"Bearer mk_{uuid.uuid4().hex}"}
    async with asgi_client(create_app(limited_settings, runtime=runtime)) as http:
        codes = [(await http.get("/v1/threads", headers=headers)).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


async def test_off_means_no_limit(settings, runtime, key):
    headers = {"Authorization": f"Bearer {key}"}
    async with asgi_client(create_app(settings.model_copy(update={"rate_limit": "0"}), runtime=runtime)) as http:
        answers = [await http.get("/v1/threads", headers=headers) for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert "X-RateLimit-Limit" not in answers[0].headers


async def test_redis_down_fails_open_and_is_counted(limited_settings, runtime, key, caplog):
    # A real client to a port nobody listens on: every command fails with a connection error.
    dead = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    broken = dataclasses.replace(runtime, resources=dataclasses.replace(runtime.resources, redis=dead),
                                 owns_resources=False)
    before = REGISTRY.get_sample_value("mnemo_rate_limit_unavailable_total") or 0.0
    headers = {"Authorization": f"Bearer {key}"}
    try:
        async with asgi_client(create_app(limited_settings, runtime=broken)) as http:
            codes = [(await http.get("/v1/threads", headers=headers)).status_code for _ in range(5)]
    finally:
        await dead.aclose()
    assert codes == [200] * 5
    assert REGISTRY.get_sample_value("mnemo_rate_limit_unavailable_total") - before == 5
    # One warning, not one per request; later requests did not even try Redis (breaker open).
    warnings = [r for r in caplog.records if r.name == "mnemo.http" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "failing open" in warnings[0].getMessage()
