"""Threads and their messages (the searchable record of every conversation).

The messages table is the thread's record of truth: a turn reads its history from it (`thread_window`), and
its LangGraph checkpoint is reconciled with it (nodes/load_memory.py), so a crash between the turn's commit
and its checkpoint write loses nothing the model sees. A turn commits only if the thread's `turns` count is
the one it read (`advance_thread`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from core.metrics import TURN_CONFLICTS

THREAD_COLUMNS = "id, title, archived, starred, metadata, created_at, updated_at, consolidated_at"
GET_THREAD_SQL = f"""
SELECT {THREAD_COLUMNS} FROM threads
WHERE id = %s AND tenant_id = %s AND user_id = %s"""
THREAD_OWNER_SQL = "SELECT tenant_id, user_id FROM threads WHERE id = %s"
INSERT_THREAD_SQL = """
INSERT INTO threads (id, tenant_id, user_id, title, metadata) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (id) DO NOTHING"""
ADVANCE_THREAD_SQL = "UPDATE threads SET updated_at = now(), turns = turns + 1 WHERE id = %s AND turns = %s"
INSERT_MESSAGE_SQL = """
INSERT INTO messages (id, tenant_id, user_id, thread_id, role, content, tokens, model, latency_ms, metadata,
                      created_at, embedding, extracted_at)
VALUES (coalesce(%s, gen_random_uuid()), %s, %s, %s, %s, %s, %s, %s, %s, %s, coalesce(%s, now()), %s, %s)
RETURNING id, seq, created_at"""
# The thread's turn count and its newest messages, oldest first (no row: a thread not stored yet).
THREAD_WINDOW_SQL = """
SELECT t.turns, m.id, m.seq, m.role, m.content FROM threads t
LEFT JOIN LATERAL (
    SELECT id, seq, role, content FROM messages
    WHERE thread_id = t.id AND role IN ('user', 'assistant') ORDER BY seq DESC LIMIT %(limit)s
) m ON true
WHERE t.id = %(thread)s AND t.tenant_id = %(tenant)s AND t.user_id = %(user)s
ORDER BY m.seq"""
USER_MESSAGES_BEFORE_SQL = """
SELECT content FROM (
    SELECT seq, content FROM messages
    WHERE thread_id = %(thread)s AND tenant_id = %(tenant)s AND user_id = %(user)s AND role = 'user'
      AND seq < %(before)s ORDER BY seq DESC LIMIT %(limit)s
) m ORDER BY seq"""
# Message ids that are not UUIDs (a LangGraph client's own, a model's "run-..." id) are stored as this
# namespace's uuid5 of "<thread>/<id>", so a checkpoint message and its row can be matched.
MESSAGE_NAMESPACE = uuid.UUID("6f1d9c1e-8f4b-4f64-a1f3-1d2c7e0b9a55")
LIST_MESSAGES_SQL = """
SELECT id, seq, role, content, tokens, model, metadata, created_at FROM messages
WHERE thread_id = %s AND tenant_id = %s AND user_id = %s AND seq > %s
ORDER BY seq LIMIT %s"""
LIST_MESSAGES_NEWEST_SQL = """
SELECT id, seq, role, content, tokens, model, metadata, created_at FROM messages
WHERE thread_id = %s AND tenant_id = %s AND user_id = %s AND seq < %s
ORDER BY seq DESC LIMIT %s"""


class ThreadNotFound(LookupError):
    """No such thread for this caller (it may exist for someone else: callers never learn that)."""


class ThreadMoved(RuntimeError):
    """Another turn on this thread committed after this one read it: this one must not commit."""

    def __init__(self, thread_id: str) -> None:
        super().__init__(f"another turn on thread {thread_id} was stored while this one ran; nothing of this "
                         "one was stored: send it again")
        self.thread_id = thread_id


@dataclass(frozen=True)
class ThreadWindow:
    """What a turn reads of its thread: the committed turn count and the newest messages, oldest first."""

    turns: int
    messages: list[dict[str, Any]]


def message_uuid(message_id: str | None, thread_id: str) -> uuid.UUID | None:
    """The row id of a checkpoint message: its id when that is a UUID, else a stable uuid5 of it."""
    if not message_id:
        return None
    try:
        return uuid.UUID(message_id)
    except ValueError:
        return uuid.uuid5(MESSAGE_NAMESPACE, f"{thread_id}/{message_id}")


async def thread_window(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str, limit: int,
) -> ThreadWindow:
    """The thread's turn count and its last `limit` user and assistant messages (0 and [] for a new thread)."""
    rows = await (await conn.execute(THREAD_WINDOW_SQL, {
        "thread": thread_id, "tenant": tenant_id, "user": user_id, "limit": limit,
    })).fetchall()
    if not rows:
        return ThreadWindow(0, [])
    return ThreadWindow(rows[0]["turns"], [{k: r[k] for k in ("id", "seq", "role", "content")}
                                           for r in rows if r["id"]])


async def user_messages_before(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str, before_seq: int, limit: int,
) -> list[str]:
    """The texts of the thread's last `limit` user messages before `before_seq`, oldest first."""
    rows = await (await conn.execute(USER_MESSAGES_BEFORE_SQL, {
        "thread": thread_id, "tenant": tenant_id, "user": user_id, "before": before_seq, "limit": limit,
    })).fetchall()
    return [r["content"] for r in rows]


async def advance_thread(conn: AsyncConnection, thread_id: str, seen_turns: int) -> None:
    """Count this turn, if the thread still has the turns it was read with (else ThreadMoved). The row lock
    it takes holds a second turn's commit until this transaction ends."""
    if (await conn.execute(ADVANCE_THREAD_SQL, (thread_id, seen_turns))).rowcount != 1:
        TURN_CONFLICTS.inc()
        raise ThreadMoved(thread_id)


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
    extracted_at: datetime | None = None, message_id: uuid.UUID | None = None,
) -> dict:
    """Insert one message; returns {id, seq, created_at}. `extracted_at`: the extraction pipeline has
    already run on it (a background worker skips it). `message_id`: its id (a new one when None)."""
    return await (
        await conn.execute(
            INSERT_MESSAGE_SQL,
            (message_id, tenant_id, user_id, thread_id, role, content, tokens, model, latency_ms,
             Jsonb(metadata or {}), created_at, embedding, extracted_at),
        )
    ).fetchone()


async def list_messages(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str, after_seq: int = 0, limit: int = 50,
    newest_first: bool = False, before_seq: int | None = None,
) -> list[dict]:
    """Messages oldest first after the `seq` cursor, or with `newest_first` newest first before `before_seq`
    (None: from the newest)."""
    if newest_first:
        bound = (2**63 - 1) if before_seq is None else before_seq
        return await (
            await conn.execute(LIST_MESSAGES_NEWEST_SQL, (thread_id, tenant_id, user_id, bound, limit))
        ).fetchall()
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
