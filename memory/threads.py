"""Threads and their messages (the searchable record of every conversation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

THREAD_COLUMNS = "id, title, archived, starred, metadata, created_at, updated_at, consolidated_at"
GET_THREAD_SQL = f"""
SELECT {THREAD_COLUMNS} FROM threads
WHERE id = %s AND tenant_id = %s AND user_id = %s"""
THREAD_OWNER_SQL = "SELECT tenant_id, user_id FROM threads WHERE id = %s"
INSERT_THREAD_SQL = """
INSERT INTO threads (id, tenant_id, user_id, title, metadata) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (id) DO NOTHING"""
TOUCH_THREAD_SQL = "UPDATE threads SET updated_at = now() WHERE id = %s"
INSERT_MESSAGE_SQL = """
INSERT INTO messages (tenant_id, user_id, thread_id, role, content, tokens, model, latency_ms, metadata,
                      created_at, embedding, extracted_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, coalesce(%s, now()), %s, %s)
RETURNING id, seq, created_at"""
LIST_MESSAGES_SQL = """
SELECT id, seq, role, content, tokens, model, metadata, created_at FROM messages
WHERE thread_id = %s AND tenant_id = %s AND user_id = %s AND seq > %s
ORDER BY seq LIMIT %s"""


class ThreadNotFound(LookupError):
    """No such thread for this caller (it may exist for someone else: callers never learn that)."""


async def get_thread(conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str) -> dict | None:
    return await (await conn.execute(GET_THREAD_SQL, (thread_id, tenant_id, user_id))).fetchone()


async def update_thread(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str, **changes: str | bool | None,
) -> dict | None:
    """Set title / starred / archived (only the keys given); None when the caller has no such thread."""
    allowed = {k: v for k, v in changes.items() if k in ("title", "starred", "archived")}
    if not allowed:
        return await get_thread(conn, tenant_id=tenant_id, user_id=user_id, thread_id=thread_id)
    assignments = ", ".join(f"{column} = %({column})s" for column in allowed)
    sql = (f"UPDATE threads SET {assignments}, updated_at = now() WHERE id = %(id)s AND tenant_id = %(tenant)s"
           f" AND user_id = %(user)s RETURNING {THREAD_COLUMNS}")
    params = {**allowed, "id": thread_id, "tenant": tenant_id, "user": user_id}
    return await (await conn.execute(sql, params)).fetchone()


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
    extracted_at: datetime | None = None,
) -> dict:
    """Insert one message; returns {id, seq, created_at}. `extracted_at`: the extraction pipeline has
    already run on it (a background worker skips it)."""
    return await (
        await conn.execute(
            INSERT_MESSAGE_SQL,
            (tenant_id, user_id, thread_id, role, content, tokens, model, latency_ms, Jsonb(metadata or {}),
             created_at, embedding, extracted_at),
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


LIST_THREADS_SQL = f"""
SELECT {THREAD_COLUMNS} FROM threads
WHERE tenant_id = %(tenant)s AND user_id = %(user)s
  AND (%(archived)s::boolean IS NULL OR archived = %(archived)s)
  AND (%(starred)s::boolean IS NULL OR starred = %(starred)s)
  AND (%(ts)s::timestamptz IS NULL OR (updated_at, id) < (%(ts)s::timestamptz, %(id)s::text))
ORDER BY updated_at DESC, id DESC LIMIT %(limit)s"""
CREATE_THREAD_SQL = f"""
INSERT INTO threads (id, tenant_id, user_id, title, metadata) VALUES (%s, %s, %s, %s, %s)
RETURNING {THREAD_COLUMNS}"""
OWNED_THREAD_IDS_SQL = "SELECT id FROM threads WHERE tenant_id = %s AND user_id = %s AND id = ANY(%s)"
ARCHIVE_THREADS_SQL = """
UPDATE threads SET archived = true, updated_at = now()
WHERE tenant_id = %s AND user_id = %s AND id = ANY(%s) AND NOT archived"""


async def list_threads(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, archived: bool | None = None,
    starred: bool | None = None, before: tuple[datetime, str] | None = None, limit: int = 50,
) -> list[dict]:
    """Most recently active first (updated_at: a turn, a rename), keyset-paginated on (updated_at, id)."""
    ts, ident = before if before else (None, None)
    params = {"tenant": tenant_id, "user": user_id, "archived": archived, "starred": starred, "ts": ts,
              "id": ident, "limit": limit}
    return await (await conn.execute(LIST_THREADS_SQL, params)).fetchall()


async def create_thread(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str, title: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict:
    """A new empty thread; the user row must exist (`memory.users.ensure_user`)."""
    return await (await conn.execute(
        CREATE_THREAD_SQL, (thread_id, tenant_id, user_id, title, Jsonb(metadata or {}))
    )).fetchone()


async def owned_thread_ids(conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_ids: list[str]) -> set[str]:
    """Those of `thread_ids` that are the caller's."""
    rows = await (await conn.execute(OWNED_THREAD_IDS_SQL, (tenant_id, user_id, thread_ids))).fetchall()
    return {r["id"] for r in rows}


async def archive_threads(conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_ids: list[str]) -> int:
    """Mark the caller's threads archived; returns how many were not archived before."""
    return (await conn.execute(ARCHIVE_THREADS_SQL, (tenant_id, user_id, thread_ids))).rowcount
