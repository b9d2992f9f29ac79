"""What a client sees while PostgreSQL or Redis is away: fast 503s with Retry-After, a readiness probe that
answers within a second, and an Idempotency-Key a crashed request left running that frees itself after the
turn timeout (real PostgreSQL and Redis; the outage is a pool that cannot hand out a connection)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from psycopg_pool import PoolTimeout

from memory.db import tenant_connection
from memory.idempotency import claim_key, renew_key
from memory.users import ensure_user


@pytest.fixture
def postgres_away(runtime, monkeypatch):
    """Every pooled connection request waits its bounded time, then fails as an outage does."""
    pool = runtime.resources.pool
    wait = runtime.resources.settings.pool_timeout_seconds

    @contextlib.asynccontextmanager
    async def unavailable(timeout: float | None = None):
        await asyncio.sleep(min(timeout or wait, wait))
        raise PoolTimeout("couldn't get a connection after the timeout")
        yield  # pragma: no cover

    monkeypatch.setattr(pool, "connection", unavailable)


async def test_requests_during_a_database_outage_get_503_with_retry_after(client, auth, postgres_away):
    started = time.perf_counter()
    r = await client.get("/v1/threads", headers=auth)
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "unavailable" and int(r.headers["retry-after"]) >= 1
    assert time.perf_counter() - started < 10  # bounded by the pool wait, not a request timeout


async def test_readiness_answers_within_a_second_and_names_the_service(client, postgres_away):
    started = time.perf_counter()
    r = await client.get("/readyz")
    assert time.perf_counter() - started < 1.5
    assert r.status_code == 503 and "retry-after" in r.headers
    checks = r.json()["checks"]
    assert checks["postgres"].startswith("error") and checks["redis"] == "ok"


async def test_a_running_key_is_kept_while_renewed_and_free_once_its_request_died(resources, principal):
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    age = "UPDATE idempotency_keys SET created_at = now() - interval '7 seconds' WHERE tenant_id = %s AND key = 'k'"
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        await ensure_user(conn, **owner)
        first = await claim_key(conn, **owner, key="k", hash_="h")
        assert first.outcome == "new"
        assert (await claim_key(conn, **owner, key="k", hash_="h")).outcome == "running"  # it may still run
        await conn.execute(age, (principal.tenant_id,))
        await renew_key(conn, first.ref)  # the request is alive: it renews its claim
        assert (await claim_key(conn, **owner, key="k", hash_="h")).outcome == "running"
        await conn.execute(age, (principal.tenant_id,))  # no renewal for longer than the lease: it died
        taken = await claim_key(conn, **owner, key="k", hash_="h")
    assert taken.outcome == "new" and taken.ref.claim != first.ref.claim
