"""The hot memory cache in Redis: one JSON entry per user with a TTL, written through on change.

The entry holds what a session reads on every turn: the context set (current profile, preference and
constraint memories, what the model always sees) and the user's top other memories (intents, goals,
facts, business), both loaded by one PostgreSQL query (`read_user_memories`). It is batch-loaded on
the first turn of a session (`prefetch_session`), filled on a miss (`load_user_memories`), and replaced
after every committed change (`refresh_context_memories`, the write-through). Those take whatever holds
the pool and the cache (`MemoryStores`: the turn's `graphs.resources.Resources` is one).

Never a stale read after an update: each entry carries `read_at`, PostgreSQL's statement time of the
read it comes from, and a write only replaces an entry read earlier (an atomic compare-and-set in
Redis). So when two turns change the same user's memories at once, the write-through that read last,
which sees both commits, wins whatever order the two writes reach Redis in. Temporary memories whose
`expires_at` has passed are dropped on read, so an entry never serves a memory that stopped being
current while it was cached.

A Redis outage never fails a turn: reads fall back to PostgreSQL, writes are skipped, both are logged
and counted (mnemo_cache_errors_total).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import redis.asyncio as aioredis
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from redis.exceptions import RedisError

from core.metrics import CACHE_ERRORS, PREFERENCE_CACHE, PREFERENCE_CACHE_LOADS
from memory.db import tenant_connection
from memory.memories import CONTEXT_CATEGORIES, CURRENT, MEMORY_COLUMNS
from memory.rows import jsonable

log = logging.getLogger(__name__)

CONTEXT_LIMIT = 50  # context memories per user
TOP_LIMIT = 10  # other memories prefetched with them

# One round trip: the current context set and the top other memories, ranked apart, with the time of
# the read. The LEFT JOIN from a one-row relation answers that time even for a user with no memories.
# `id` breaks ties (memories saved in one transaction share created_at), so two reads of the same rows
# come back in the same order whatever plan PostgreSQL picks.
USER_MEMORIES_SQL = f"""
WITH current AS (
    SELECT {MEMORY_COLUMNS}, category = ANY(%(context)s) AS in_context
    FROM memories
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s AND {CURRENT}
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY in_context ORDER BY confidence DESC, created_at DESC, id) AS rank
    FROM current
)
SELECT extract(epoch FROM statement_timestamp())::float8 AS read_at, ranked.*
FROM (VALUES (1)) AS one (x)
LEFT JOIN ranked ON ranked.rank <= CASE WHEN ranked.in_context THEN %(context_limit)s ELSE %(top_limit)s END
ORDER BY ranked.in_context DESC, ranked.category, ranked.confidence DESC, ranked.created_at DESC, ranked.id"""

# Replace the entry unless the one in Redis comes from a later read. ARGV: entry, read_at, ttl in ms.
SET_IF_NEWER_LUA = """
local old = redis.call('GET', KEYS[1])
if old then
  local ok, entry = pcall(cjson.decode, old)
  if ok and type(entry) == 'table' and tonumber(entry['read_at']) and
     tonumber(entry['read_at']) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1"""


class RedisUnavailable(RuntimeError):
    """Redis cannot be reached as configured; the message says what to change."""


def prefs_key(tenant_id: str, user_id: str) -> str:
    return f"mnemo:prefs:{tenant_id}:{user_id}"


@dataclass(frozen=True)
class UserMemories:
    """One user's cached memories, JSON-safe rows (see `memory.rows.jsonable`)."""

    read_at: float  # PostgreSQL statement time of the read, epoch seconds
    context: list[dict[str, Any]] = field(default_factory=list)  # profile, preferences, constraints
    top: list[dict[str, Any]] = field(default_factory=list)  # the top other memories

    def current(self, now: datetime | None = None) -> UserMemories:
        """Without the temporary memories that expired since the read."""
        moment = (now or datetime.now(UTC)).isoformat()

        def alive(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [r for r in rows if not r.get("expires_at") or _utc(r["expires_at"]) > moment]

        return UserMemories(self.read_at, alive(self.context), alive(self.top))

    @property
    def all(self) -> list[dict[str, Any]]:
        return self.context + self.top


def _utc(stamp: str) -> str:
    """An ISO timestamp in UTC, so ISO strings compare in time order."""
    return datetime.fromisoformat(stamp).astimezone(UTC).isoformat()


async def read_user_memories(conn: AsyncConnection, *, tenant_id: str, user_id: str) -> UserMemories:
    """What the cache holds for one user, read from PostgreSQL in one query."""
    rows = await (await conn.execute(USER_MEMORIES_SQL, {
        "tenant_id": tenant_id, "user_id": user_id, "context": list(CONTEXT_CATEGORIES),
        "context_limit": CONTEXT_LIMIT, "top_limit": TOP_LIMIT,
    })).fetchall()
    found = [r for r in rows if r["id"] is not None]

    def memory(row: dict[str, Any]) -> dict[str, Any]:
        return jsonable({k: v for k, v in row.items() if k not in ("read_at", "in_context", "rank")})

    return UserMemories(rows[0]["read_at"], [memory(r) for r in found if r["in_context"]],
                        [memory(r) for r in found if not r["in_context"]])


async def connect_redis(url: str) -> aioredis.Redis:
    """A client that answered PING, or RedisUnavailable naming REDIS_URL."""
    client = aioredis.from_url(url, decode_responses=True, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        raise RedisUnavailable(
            f"Cannot reach Redis at {url}: {exc}. Set REDIS_URL to a reachable server, "
            "or unset it to use the embedded Redis."
        ) from exc
    return client


class PreferenceCache:
    """Per-user `UserMemories` under `mnemo:prefs:<tenant>:<user>`; every read counts a hit, a miss or an
    error in memory_preference_cache_total."""

    def __init__(self, client: aioredis.Redis, ttl_seconds: float) -> None:
        self.client = client
        self.ttl_seconds = ttl_seconds
        self._set_if_newer = client.register_script(SET_IF_NEWER_LUA)

    async def get(self, tenant_id: str, user_id: str) -> UserMemories | None:
        try:
            raw = await self.client.get(prefs_key(tenant_id, user_id))
        except (RedisError, OSError) as exc:
            self._degraded("get", exc)
            PREFERENCE_CACHE.labels("error").inc()
            return None
        entry = _decode(raw)
        PREFERENCE_CACHE.labels("miss" if entry is None else "hit").inc()
        return None if entry is None else entry.current()

    async def set(self, tenant_id: str, user_id: str, entry: UserMemories) -> bool:
        """Store `entry` unless Redis holds one read later; False when refused or Redis is down."""
        ttl_ms = max(1, round(self.ttl_seconds * 1000))
        try:
            stored = await self._set_if_newer(
                keys=[prefs_key(tenant_id, user_id)],
                args=[json.dumps(asdict(entry), default=str), repr(entry.read_at), ttl_ms],
            )
        except (RedisError, OSError) as exc:
            self._degraded("set", exc)
            return False
        return bool(stored)

    async def invalidate(self, tenant_id: str, user_id: str) -> None:
        try:
            await self.client.delete(prefs_key(tenant_id, user_id))
        except (RedisError, OSError) as exc:
            self._degraded("delete", exc)

    @staticmethod
    def _degraded(op: str, exc: Exception) -> None:
        CACHE_ERRORS.inc()
        log.warning("preference cache %s failed, falling back to PostgreSQL: %s", op, exc)


def _decode(raw: str | None) -> UserMemories | None:
    """The entry, or None for a missing one or one in an older format (treated as a miss)."""
    if raw is None:
        return None
    data = json.loads(raw)
    if not isinstance(data, dict) or "read_at" not in data:
        return None
    return UserMemories(float(data["read_at"]), data.get("context", []), data.get("top", []))


class MemoryStores(Protocol):
    """What the functions below need: the PostgreSQL pool and the cache (`graphs.resources.Resources`
    has both)."""

    pool: AsyncConnectionPool
    cache: PreferenceCache


async def _load(stores: MemoryStores, tenant_id: str, user_id: str, reason: str) -> UserMemories:
    """Read PostgreSQL and store the entry (refused by the cache if a later read got there first)."""
    async with tenant_connection(stores.pool, tenant_id) as conn:
        entry = await read_user_memories(conn, tenant_id=tenant_id, user_id=user_id)
    await stores.cache.set(tenant_id, user_id, entry)
    PREFERENCE_CACHE_LOADS.labels(reason).inc()
    return entry


async def refresh_context_memories(stores: MemoryStores, tenant_id: str, user_id: str) -> None:
    """Write-through after a committed change: read the user's memories again and replace the cache
    entry."""
    await _load(stores, tenant_id, user_id, "write_through")


async def prefetch_session(stores: MemoryStores, tenant_id: str, user_id: str) -> UserMemories:
    """The first turn of a session: one round trip loads everything the session reads into the cache."""
    return await _load(stores, tenant_id, user_id, "prefetch")


async def load_user_memories(stores: MemoryStores, tenant_id: str, user_id: str) -> UserMemories:
    """The cached entry; on a miss read PostgreSQL and write it back."""
    cached = await stores.cache.get(tenant_id, user_id)
    return cached if cached is not None else await _load(stores, tenant_id, user_id, "miss")


async def load_context_memories(stores: MemoryStores, tenant_id: str, user_id: str) -> list[dict]:
    """The cached context set (profile, preferences, constraints)."""
    return (await load_user_memories(stores, tenant_id, user_id)).context
