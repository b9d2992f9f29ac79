"""Token usage and cost, one row per model call."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection

INSERT_USAGE_SQL = """
INSERT INTO usage (tenant_id, user_id, thread_id, message_id, model, input_tokens, output_tokens, cost_usd,
                   latency_ms)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"""


async def record_usage(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str | None, message_id: UUID | None,
    model: str, input_tokens: int, output_tokens: int, cost_usd: float, latency_ms: int | None,
) -> None:
    await conn.execute(
        INSERT_USAGE_SQL,
        (tenant_id, user_id, thread_id, message_id, model, input_tokens, output_tokens, cost_usd, latency_ms),
    )
