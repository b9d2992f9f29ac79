"""Threads and their messages (the searchable record of every conversation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

GET_THREAD_SQL = """
SELECT id, title, archived, starred, metadata, created_at, updated_at FROM threads
WHERE id = %s AND tenant_id = %s AND user_id = %s"""
THREAD_OWNER_SQL = "SELECT tenant_id, user_id FROM threads WHERE id = %s"
INSERT_THREAD_SQL = """
INSERT INTO threads (id, tenant_id, user_id, title, metadata) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (id) DO NOTHING"""
TOUCH_THREAD_SQL = "UPDATE threads SET updated_at = now() WHERE id = %s"
INSERT_MESSAGE_SQL = """
INSERT INTO messages (tenant_id, user_id, thread_id, role, content, tokens, model, latency_ms, metadata,
                      created_at, embedding)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, coalesce(%s, now()), %s)
RETURNING id, seq, created_at"""
LIST_MESSAGES_SQL = """
SELECT id, seq, role, content, tokens, model, metadata, created_at FROM messages
WHERE thread_id = %s AND tenant_id = %s AND user_id = %s AND seq > %s
ORDER BY seq LIMIT %s"""


class ThreadNotFound(LookupError):
    """No such thread for this caller (it may exist for someone else: callers never learn that)."""


async def get_thread(conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str) -> dict | None:
    return await (await conn.execute(GET_THREAD_SQL, (thread_id, tenant_id, user_id))).fetchone()


async def ensure_thread(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str, title: str | None = None,
    metadata: dict | None = None,
) -> None:
    """Create the thread for this owner if new; ThreadNotFound if it belongs to someone else."""
    await conn.execute(INSERT_THREAD_SQL, (thread_id, tenant_id, user_id, title, Jsonb(metadata or {})))
    owner = await (await conn.execute(THREAD_OWNER_SQL, (thread_id,))).fetchone()
    if owner is None or (owner["tenant_id"], owner["user_id"]) != (tenant_id, user_id):
        raise ThreadNotFound(thread_id)


async def insert_message(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str, role: str, content: str,
    embedding: np.ndarray | None, tokens: int | None = None, model: str | None = None,
    latency_ms: int | None = None, metadata: dict[str, Any] | None = None, created_at: datetime | None = None,
) -> dict:
    """Insert one message; returns {id, seq, created_at}."""
    return await (
        await conn.execute(
            INSERT_MESSAGE_SQL,
            (tenant_id, user_id, thread_id, role, content, tokens, model, latency_ms, Jsonb(metadata or {}),
             created_at, embedding),
        )
    ).fetchone()


async def touch_thread(conn: AsyncConnection, thread_id: str) -> None:
    await conn.execute(TOUCH_THREAD_SQL, (thread_id,))


async def list_messages(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str, after_seq: int = 0, limit: int = 50,
) -> list[dict]:
    """Messages oldest first, after the `seq` cursor."""
    return await (
        await conn.execute(LIST_MESSAGES_SQL, (thread_id, tenant_id, user_id, after_seq, limit))
    ).fetchall()
