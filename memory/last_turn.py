"""The caller's last turn, as the /graph page draws it: the path its nodes took and each node's time.

Kept in Redis under `mnemo:last_turn:<tenant>:<user>` (so DELETE /v1/me's sweep of `mnemo:*` keys takes
it), one small JSON value rewritten after every API turn. It is a convenience for a page, not a record:
a Redis outage skips the write and the read answers None.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from core.metrics import CACHE_ERRORS

log = logging.getLogger(__name__)
TTL_SECONDS = 30 * 86400


def last_turn_key(tenant_id: str, user_id: str) -> str:
    return f"mnemo:last_turn:{tenant_id}:{user_id}"


async def record_last_turn(redis: aioredis.Redis, *, tenant_id: str, user_id: str, thread_id: str, agent: str,
                           trace: dict[str, Any]) -> None:
    value = {"thread_id": thread_id, "agent": agent, "at": datetime.now(UTC).isoformat(),
             "path": trace.get("path", []), "node_ms": trace.get("node_ms", {})}
    try:
        await redis.set(last_turn_key(tenant_id, user_id), json.dumps(value), ex=TTL_SECONDS)
    except (RedisError, OSError) as exc:
        CACHE_ERRORS.inc()
        log.warning("could not record the last turn's trace: %s", exc)


async def read_last_turn(redis: aioredis.Redis, *, tenant_id: str, user_id: str) -> dict[str, Any] | None:
    try:
        raw = await redis.get(last_turn_key(tenant_id, user_id))
    except (RedisError, OSError) as exc:
        CACHE_ERRORS.inc()
        log.warning("could not read the last turn's trace: %s", exc)
        return None
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
