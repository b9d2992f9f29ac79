"""The preference cache against the embedded Redis and, when it answers, the machine's Redis."""

import asyncio

import pytest
import redis.asyncio as aioredis

from memory.cache import PreferenceCache, RedisUnavailable, connect_redis, prefs_key

MACHINE_REDIS = "redis://127.0.0.1:6379/0"


async def _machine_redis() -> aioredis.Redis | None:
    try:
        return await connect_redis(MACHINE_REDIS)
    except RedisUnavailable:
        return None


@pytest.fixture(params=["embedded", "machine"])
async def redis_client(request, resources):
    if request.param == "embedded":
        yield resources.redis
        return
    client = await _machine_redis()
    if client is None:
        pytest.skip("no Redis answering on 127.0.0.1:6379")
    yield client
    await client.aclose()


async def test_set_get_invalidate_with_ttl(redis_client, tenant):
    cache = PreferenceCache(redis_client, ttl_seconds=60)
    assert await cache.get(tenant, "alice") is None
    prefs = [{"key": "preference.music", "value": "jazz"}]
    await cache.set(tenant, "alice", prefs)
    assert await cache.get(tenant, "alice") == prefs
    assert await cache.get(tenant, "bob") is None
    assert 0 < await redis_client.ttl(prefs_key(tenant, "alice")) <= 60
    await cache.invalidate(tenant, "alice")
    assert await cache.get(tenant, "alice") is None


async def test_entries_expire(redis_client, tenant):
    cache = PreferenceCache(redis_client, ttl_seconds=1)
    await cache.set(tenant, "alice", [{"v": 1}])
    await asyncio.sleep(1.2)
    assert await cache.get(tenant, "alice") is None


async def test_redis_outage_degrades_to_a_miss():
    dead = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    cache = PreferenceCache(dead, ttl_seconds=60)
    assert await cache.get("t", "u") is None
    await cache.set("t", "u", [{"v": 1}])  # no exception
    await dead.aclose()


async def test_unreachable_redis_names_the_variable():
    with pytest.raises(RedisUnavailable, match="REDIS_URL"):
        await connect_redis("redis://127.0.0.1:1/0")
