"""Token usage and cost, one row per model call."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from psycopg import AsyncConnection

INSERT_USAGE_SQL = """
INSERT INTO usage (tenant_id, user_id, thread_id, message_id, model, input_tokens, output_tokens, cost_usd,
                   latency_ms, provider, usage_source)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"""
# Days are UTC calendar days.
USAGE_BY_DAY_SQL = """
SELECT (created_at AT TIME ZONE 'UTC')::date AS day, model, count(*)::int AS calls,
       sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens,
       coalesce(sum(cost_usd), 0)::float8 AS cost_usd, count(*) FILTER (WHERE cost_usd IS NULL)::int AS unpriced_calls
FROM usage
WHERE tenant_id = %s AND user_id = %s AND created_at >= %s AND created_at < %s
GROUP BY 1, 2 ORDER BY 1 DESC, 2"""


async def record_usage(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str | None, message_id: UUID | None,
    model: str, input_tokens: int, output_tokens: int, cost_usd: float | None, latency_ms: int | None,
    provider: str | None = None, usage_source: str | None = None,
) -> None:
    """`cost_usd` None: a hosted model with no price (unknown, not free)."""
    await conn.execute(
        INSERT_USAGE_SQL,
        (tenant_id, user_id, thread_id, message_id, model, input_tokens, output_tokens, cost_usd, latency_ms,
         provider, usage_source),
    )


async def usage_by_day(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, start: datetime, end: datetime,
) -> list[dict]:
    """Calls, tokens and cost per UTC day and model in [start, end), newest day first; `cost_usd` sums the
    priced calls, `unpriced_calls` counts the others."""
    return await (await conn.execute(USAGE_BY_DAY_SQL, (tenant_id, user_id, start, end))).fetchall()
