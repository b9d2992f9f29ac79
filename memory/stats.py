"""Counts over one user's memories (GET /v1/memories/stats), in one query."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from core.metrics import PREFERENCE_CACHE
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
        WHERE tenant_id = %(tenant)s AND user_id = %(user)s)::int AS corrections,
       (SELECT coalesce(jsonb_object_agg(source, n), '{{}}') FROM (
            SELECT coalesce(metadata->>'extractor', 'other') AS source, count(*) AS n FROM memories
            WHERE tenant_id = %(tenant)s AND user_id = %(user)s GROUP BY 1) s) AS by_source,
       (SELECT jsonb_build_object(
            'shown', count(*), 'applied', count(*) FILTER (WHERE feedback = 'applied'),
            'dismissed', count(*) FILTER (WHERE feedback = 'dismissed'),
            'snoozed', count(*) FILTER (WHERE feedback = 'snoozed'))
        FROM hints WHERE tenant_id = %(tenant)s AND user_id = %(user)s) AS hints
FROM (SELECT category, count(*) FILTER (WHERE is_current)::int AS cur,
             count(*) FILTER (WHERE NOT is_current)::int AS old, min(created_at) AS oldest,
             max(created_at) AS newest
      FROM mine GROUP BY category) per_category"""


async def memory_stats(conn: AsyncConnection, *, tenant_id: str, user_id: str) -> dict[str, Any]:
    """{by_category: {category: {current, superseded}}, current, superseded, corrections, oldest, newest,
    by_source: {extractor: memories}, hints: {shown, applied, dismissed, snoozed}}."""
    return await (await conn.execute(STATS_SQL, {"tenant": tenant_id, "user": user_id})).fetchone()


def cache_counts() -> dict[str, Any]:
    """This process's preference-cache lookups by outcome (memory_preference_cache_total) and the hit rate."""
    counts = {"hit": 0, "miss": 0, "error": 0}
    for metric in PREFERENCE_CACHE.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.labels.get("outcome") in counts:
                counts[sample.labels["outcome"]] = int(sample.value)
    looked_up = counts["hit"] + counts["miss"]
    return {"hits": counts["hit"], "misses": counts["miss"], "errors": counts["error"],
            "hit_rate": round(counts["hit"] / looked_up, 4) if looked_up else None}
