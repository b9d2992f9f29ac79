"""The memory cache against the embedded Redis and, when it answers, the machine's Redis; the entry's
content and write-through against the embedded PostgreSQL."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from core.metrics import PREFERENCE_CACHE, PREFERENCE_CACHE_LOADS
from memory.cache import (
    PreferenceCache,
    RedisUnavailable,
    UserMemories,
    connect_redis,
    load_user_memories,
    prefetch_session,
    prefs_key,
    read_user_memories,
    refresh_context_memories,
)
from memory.db import tenant_connection
from memory.memories import NewMemory
from tests.conftest import save_for

MACHINE_REDIS = "redis://127.0.0.1:6379/0"
JAZZ = [{"key": "preference.music", "value": "jazz"}]


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


def _count(counter, label: str) -> float:
    return counter.labels(label)._value.get()


async def test_set_get_invalidate_with_ttl(redis_client, tenant):
    cache = PreferenceCache(redis_client, ttl_seconds=60)
    assert await cache.get(tenant, "alice") is None
    entry = UserMemories(1.0, JAZZ, [{"key": "intent.travel", "value": "visit Japan"}])
    assert await cache.set(tenant, "alice", entry)
    assert await cache.get(tenant, "alice") == entry
    assert await cache.get(tenant, "bob") is None
    assert 0 < await redis_client.ttl(prefs_key(tenant, "alice")) <= 60
    await cache.invalidate(tenant, "alice")
    assert await cache.get(tenant, "alice") is None


async def test_entries_expire(redis_client, tenant):
    cache = PreferenceCache(redis_client, ttl_seconds=0.2)
    await cache.set(tenant, "alice", UserMemories(1.0, JAZZ))
    await asyncio.sleep(0.4)
    assert await cache.get(tenant, "alice") is None


async def test_an_entry_read_earlier_never_replaces_a_later_one(redis_client, tenant):
    """Two concurrent write-throughs: the one whose read saw both commits wins, in either arrival order."""
    cache = PreferenceCache(redis_client, ttl_seconds=60)
    later = UserMemories(200.5, JAZZ + [{"key": "preference.drink", "value": "tea"}])
    assert await cache.set(tenant, "alice", later)
    assert not await cache.set(tenant, "alice", UserMemories(200.25, JAZZ))
    assert await cache.get(tenant, "alice") == later
    newest = UserMemories(300.0, [])
    assert await cache.set(tenant, "alice", newest)
    assert await cache.get(tenant, "alice") == newest


async def test_an_entry_in_the_old_format_is_a_miss_and_is_replaced(resources, tenant):
    await resources.redis.set(prefs_key(tenant, "alice"), '[{"key": "preference.music"}]')
    cache = PreferenceCache(resources.redis, ttl_seconds=60)
    assert await cache.get(tenant, "alice") is None
    assert await cache.set(tenant, "alice", UserMemories(1.0, JAZZ))
    assert (await cache.get(tenant, "alice")).context == JAZZ


async def test_memories_that_expired_while_cached_are_not_served(resources, tenant):
    cache = PreferenceCache(resources.redis, ttl_seconds=60)
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    lisbon = {"key": "profile.location", "value": "Lisbon", "expires_at": past}
    paris = {"key": "profile.location", "value": "Paris", "expires_at": None}
    trip = {"key": "intent.travel", "value": "visit Japan", "expires_at": future}
    await cache.set(tenant, "alice", UserMemories(1.0, [lisbon, paris], [trip]))
    assert await cache.get(tenant, "alice") == UserMemories(1.0, [paris], [trip])


async def test_every_read_counts_a_hit_a_miss_or_an_error(resources, tenant):
    cache = PreferenceCache(resources.redis, ttl_seconds=60)
    before = {o: _count(PREFERENCE_CACHE, o) for o in ("hit", "miss", "error")}
    await cache.get(tenant, "alice")
    await cache.set(tenant, "alice", UserMemories(1.0, JAZZ))
    await cache.get(tenant, "alice")
    dead = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    await PreferenceCache(dead, ttl_seconds=60).get(tenant, "alice")
    await dead.aclose()
    assert {o: _count(PREFERENCE_CACHE, o) - before[o] for o in before} == {"hit": 1, "miss": 1, "error": 1}


async def test_redis_outage_degrades_to_a_miss():
    dead = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    cache = PreferenceCache(dead, ttl_seconds=60)
    assert await cache.get("t", "u") is None
    assert not await cache.set("t", "u", UserMemories(1.0, JAZZ))  # no exception
    await dead.aclose()


async def test_unreachable_redis_names_the_variable():
    with pytest.raises(RedisUnavailable, match="REDIS_URL"):
        await connect_redis("redis://127.0.0.1:1/0")


async def test_one_read_holds_the_context_set_and_the_top_other_memories(resources, tenant):
    await save_for(resources, tenant, "alice",
                NewMemory("preference", "preference.music", "jazz"),
                NewMemory("constraint", "constraint.allergy", "peanuts", confidence=0.95),
                NewMemory("intent", "intent.travel", "book the flight"),
                NewMemory("fact", "fact.car", "an electric Zoe"),
                NewMemory("profile", "profile.location", "Lisbon"))
    await save_for(resources, tenant, "bob", NewMemory("preference", "preference.music", "opera"))
    async with tenant_connection(resources.pool, tenant) as conn:
        await conn.execute("UPDATE memories SET expires_at = now() - interval '1 minute' "
                           "WHERE tenant_id = %s AND value = 'Lisbon'", (tenant,))
        entry = await read_user_memories(conn, tenant_id=tenant, user_id="alice")
        nobody = await read_user_memories(conn, tenant_id=tenant, user_id="carol")
    assert [m["value"] for m in entry.context] == ["peanuts", "jazz"]
    assert {m["value"] for m in entry.top} == {"book the flight", "an electric Zoe"}
    assert entry.read_at > 0 and {"due_at", "expires_at"} <= set(entry.top[0])
    assert nobody.context == nobody.top == [] and nobody.read_at >= entry.read_at


async def test_prefetch_then_hits_and_no_stale_read_after_an_update(resources, tenant):
    await save_for(resources, tenant, "alice", NewMemory("preference", "preference.drink", "coffee"))
    loads = _count(PREFERENCE_CACHE_LOADS, "prefetch")
    hits = _count(PREFERENCE_CACHE, "hit")
    await prefetch_session(resources, tenant, "alice")
    assert _count(PREFERENCE_CACHE_LOADS, "prefetch") == loads + 1
    assert [m["value"] for m in (await load_user_memories(resources, tenant, "alice")).context] == ["coffee"]
    assert _count(PREFERENCE_CACHE, "hit") == hits + 1
    await save_for(resources, tenant, "alice", NewMemory("preference", "preference.drink", "coffee", "negative"))
    await refresh_context_memories(resources, tenant, "alice")
    [drink] = (await load_user_memories(resources, tenant, "alice")).context
    assert (drink["value"], drink["polarity"]) == ("coffee", "negative")
    assert _count(PREFERENCE_CACHE, "hit") == hits + 2
