"""Hints shown to a user, kept so feedback can change future scoring."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection

INSERT_HINT_SQL = """
INSERT INTO hints (id, tenant_id, user_id, thread_id, message_id, memory_id, type, text, score)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"""


async def insert_hints(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str, message_id: UUID,
    hints: list[dict],
) -> None:
    for h in hints:
        await conn.execute(
            INSERT_HINT_SQL,
            (h["id"], tenant_id, user_id, thread_id, message_id, h.get("memory_id"), h["type"], h["text"],
             h["score"]),
        )
