"""The hot preference cache in Redis: one JSON entry per user with a TTL, written through on change.

A Redis outage never fails a turn: reads fall back to PostgreSQL, writes are skipped, both are logged
and counted (mnemo_cache_errors_total).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from core.metrics import CACHE_ERRORS, PREFERENCE_CACHE

log = logging.getLogger(__name__)


class RedisUnavailable(RuntimeError):
    """Redis cannot be reached as configured; the message says what to change."""


def prefs_key(tenant_id: str, user_id: str) -> str:
    return f"mnemo:prefs:{tenant_id}:{user_id}"


async def connect_redis(url: str) -> aioredis.Redis:
    """A client that answered PING, or RedisUnavailable naming REDIS_URL."""
    client = aioredis.from_url(url, decode_responses=True, socket_connect_timeout=5, socket_timeout=5)
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
    """Per-user preference lists (already rendered dicts) under `mnemo:prefs:<tenant>:<user>`."""

    def __init__(self, client: aioredis.Redis, ttl_seconds: int) -> None:
        self.client = client
        self.ttl_seconds = ttl_seconds

    async def get(self, tenant_id: str, user_id: str) -> list[dict[str, Any]] | None:
        try:
            raw = await self.client.get(prefs_key(tenant_id, user_id))
        except (RedisError, OSError) as exc:
            self._degraded("get", exc)
            PREFERENCE_CACHE.labels("error").inc()
            return None
        PREFERENCE_CACHE.labels("miss" if raw is None else "hit").inc()
        return None if raw is None else json.loads(raw)

    async def set(self, tenant_id: str, user_id: str, prefs: list[dict[str, Any]]) -> None:
        try:
            await self.client.set(prefs_key(tenant_id, user_id), json.dumps(prefs, default=str), ex=self.ttl_seconds)
        except (RedisError, OSError) as exc:
            self._degraded("set", exc)

    async def invalidate(self, tenant_id: str, user_id: str) -> None:
        try:
            await self.client.delete(prefs_key(tenant_id, user_id))
        except (RedisError, OSError) as exc:
            self._degraded("delete", exc)

    @staticmethod
    def _degraded(op: str, exc: Exception) -> None:
        CACHE_ERRORS.inc()
        log.warning("preference cache %s failed, falling back to PostgreSQL: %s", op, exc)
