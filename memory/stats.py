"""Counts over one user's memories (GET /v1/memories/stats), in one query."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from memory.memories import CURRENT

# Superseded here means no longer current: replaced, corrected, or a temporary state that expired.
STATS_SQL = f"""
WITH mine AS (
    SELECT category, ({CURRENT}) AS is_current, created_at FROM memories
    WHERE tenant_id = %(tenant)s AND user_id = %(user)s
)
SELECT coalesce(jsonb_object_agg(category, jsonb_build_object('current', cur, 'superseded', old))
                FILTER (WHERE category IS NOT NULL), '{{}}') AS by_category,
       coalesce(sum(cur), 0)::int AS current, coalesce(sum(old), 0)::int AS superseded,
       min(oldest) AS oldest, max(newest) AS newest,
       (SELECT count(*) FROM memory_corrections
        WHERE tenant_id = %(tenant)s AND user_id = %(user)s)::int AS corrections
FROM (SELECT category, count(*) FILTER (WHERE is_current)::int AS cur,
             count(*) FILTER (WHERE NOT is_current)::int AS old, min(created_at) AS oldest,
             max(created_at) AS newest
      FROM mine GROUP BY category) per_category"""


async def memory_stats(conn: AsyncConnection, *, tenant_id: str, user_id: str) -> dict[str, Any]:
    """{by_category: {category: {current, superseded}}, current, superseded, corrections, oldest, newest}."""
    return await (await conn.execute(STATS_SQL, {"tenant": tenant_id, "user": user_id})).fetchone()
