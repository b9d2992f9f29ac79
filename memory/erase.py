"""Deleting for good: one thread (DELETE /v1/threads/{id}) or everything about one user (DELETE /v1/me).

A thread goes with its messages and hints (foreign keys cascade), its LangGraph checkpoints, and the
extraction jobs still queued for its messages. Memories learned from it stay as long-term memory:
their `thread_id` and `source_message_id` are cleared (ON DELETE SET NULL); usage rows stay for
billing, their thread and message cleared the same way.

A user goes with every row of every table of ours that has `tenant_id` and `user_id` columns, found
in information_schema at run time so a table added later is covered without a change here; plus
their threads' checkpoints and their queued jobs; all in the caller's one transaction. The users
row is locked first, so a concurrent turn inserting rows that reference it waits, then fails on the
missing user instead of leaving rows behind. Redis is cleared after the commit (`forget_cached`).

LangGraph's checkpoint tables and procrastinate's queue carry no tenant column (no row-level
security): they are reached through the thread and message ids read here under the tenant's scope.
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis
from psycopg import AsyncConnection, sql
from redis.exceptions import RedisError

from memory.cache import PreferenceCache
from memory.users import lock_user

log = logging.getLogger(__name__)

CHECKPOINT_TABLES = ("checkpoint_writes", "checkpoint_blobs", "checkpoints")
QUEUE_PRESENT_SQL = "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
# A job a worker is running is left to finish: it finds no message and writes nothing.
DELETE_JOBS_SQL = """
DELETE FROM procrastinate_jobs
WHERE status <> 'doing' AND args->>'message_id' IN (SELECT id::text FROM messages WHERE {where})"""
THREAD_MESSAGES_WHERE = "tenant_id = %s AND user_id = %s AND thread_id = %s"
USER_MESSAGES_WHERE = "tenant_id = %s AND user_id = %s"
DELETE_CHECKPOINTS_SQL = "DELETE FROM {table} WHERE thread_id = ANY(%s)"
DELETE_THREAD_SQL = "DELETE FROM threads WHERE tenant_id = %s AND user_id = %s AND id = %s RETURNING id"
LOCK_USER_SQL = "SELECT 1 FROM users WHERE tenant_id = %s AND user_id = %s FOR UPDATE"
USER_THREADS_SQL = "SELECT id FROM threads WHERE tenant_id = %s AND user_id = %s"
LOCK_THREAD_SQL = "SELECT id FROM threads WHERE tenant_id = %s AND user_id = %s AND id = %s FOR UPDATE"
# Our tables holding per-user rows: both columns, in this schema (LangGraph's and procrastinate's have neither).
USER_TABLES_SQL = """
SELECT c.table_name FROM information_schema.columns c
JOIN information_schema.tables t USING (table_schema, table_name)
WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
  AND c.column_name IN ('tenant_id', 'user_id')
GROUP BY c.table_name HAVING count(*) = 2"""
DELETE_USER_ROWS_SQL = "DELETE FROM {table} WHERE tenant_id = %s AND user_id = %s"
# Leaves before what they reference, so each count is the table's own rows, not a cascade's; users last.
DELETE_ORDER = ("hints", "memory_corrections", "usage", "memories", "messages", "threads", "api_keys")


async def _queue_present(conn: AsyncConnection) -> bool:
    return (await (await conn.execute(QUEUE_PRESENT_SQL)).fetchone())["present"]


async def _delete_jobs(conn: AsyncConnection, where: str, params: tuple) -> int:
    if not await _queue_present(conn):
        return 0
    return (await conn.execute(DELETE_JOBS_SQL.format(where=where), params)).rowcount


async def _delete_checkpoints(conn: AsyncConnection, thread_ids: list[str]) -> int:
    deleted = 0
    for table in CHECKPOINT_TABLES:
        query = sql.SQL(DELETE_CHECKPOINTS_SQL).format(table=sql.Identifier(table))
        deleted += (await conn.execute(query, (thread_ids,))).rowcount
    return deleted


async def delete_thread(conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str) -> bool:
    """Delete the caller's thread as described above; False when they have no such thread. Call inside
    one transaction (`memory.db.tenant_connection`)."""
    owner = (tenant_id, user_id)
    if not await (await conn.execute(LOCK_THREAD_SQL, (*owner, thread_id))).fetchone():
        return False
    await _delete_jobs(conn, THREAD_MESSAGES_WHERE, (*owner, thread_id))
    await _delete_checkpoints(conn, [thread_id])
    await conn.execute(DELETE_THREAD_SQL, (*owner, thread_id))
    return True


async def user_tables(conn: AsyncConnection) -> list[str]:
    """Every table of ours with per-user rows, in deletion order (users last)."""
    found = {r["table_name"] for r in await (await conn.execute(USER_TABLES_SQL)).fetchall()}
    ordered = [t for t in DELETE_ORDER if t in found]
    ordered += sorted(found - set(DELETE_ORDER) - {"users"})
    return ordered + (["users"] if "users" in found else [])


async def erase_user(conn: AsyncConnection, *, tenant_id: str, user_id: str) -> dict[str, int]:
    """Delete everything stored about one user (see the module docstring); returns rows deleted per
    table, plus `checkpoint_rows` and `queued_jobs`. Call inside one transaction (`tenant_connection`)."""
    owner = (tenant_id, user_id)
    await lock_user(conn, tenant_id=tenant_id, user_id=user_id)
    await conn.execute(LOCK_USER_SQL, owner)
    thread_ids = [r["id"] for r in await (await conn.execute(USER_THREADS_SQL, owner)).fetchall()]
    counts = {"queued_jobs": await _delete_jobs(conn, USER_MESSAGES_WHERE, owner),
              "checkpoint_rows": await _delete_checkpoints(conn, thread_ids) if thread_ids else 0}
    for table in await user_tables(conn):
        query = sql.SQL(DELETE_USER_ROWS_SQL).format(table=sql.Identifier(table))
        counts[table] = (await conn.execute(query, owner)).rowcount
    return counts


def _glob_escape(text: str) -> str:
    """`text` matched literally in a Redis MATCH pattern."""
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


async def forget_cached(redis: aioredis.Redis, cache: PreferenceCache, *, tenant_id: str, user_id: str) -> bool:
    """Remove the user's Redis entries: the preference cache and any other key named by the convention
    `mnemo:<kind>:<tenant>:<user>[:...]`. False when Redis failed (entries then expire with their TTL)."""
    await cache.invalidate(tenant_id, user_id)
    owner = f"{_glob_escape(tenant_id)}:{_glob_escape(user_id)}"
    try:
        for pattern in (f"mnemo:*:{owner}", f"mnemo:*:{owner}:*"):
            keys = [key async for key in redis.scan_iter(match=pattern, count=500)]
            if keys:
                await redis.delete(*keys)
    except (RedisError, OSError) as exc:
        log.warning("could not clear the Redis entries of a forgotten user: %s", exc)
        return False
    return True
