"""Retention of LangGraph checkpoints: keep the newest few per thread, drop the rest and their orphans.

Every turn adds a checkpoint (one per turn: the runner uses durability "exit"), and LangGraph's
PostgreSQL saver never deletes any. The thread's messages live in our `messages` table and its current
state in the newest checkpoint, so older checkpoints only serve `GET /v1/threads/{id}/history` and
time travel. `mnemo checkpoints prune` deletes checkpoints beyond the newest `keep` of each thread that
are also older than `older_than`, their pending writes, and the channel blobs no remaining checkpoint
of that thread refers to, in one transaction, then vacuums the three tables (as their owner) so the
space freed is reused instead of the tables growing on. LangGraph's tables carry no tenant column, so
this is maintenance across all tenants, run by an operator (docs/deployment.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from psycopg import AsyncConnection

from memory.db import execute_as_owner

# All sub-statements of one query see the same snapshot, so orphaned blobs go in a second statement.
PRUNE_SQL = """
WITH doomed AS (
    SELECT thread_id, checkpoint_ns, checkpoint_id FROM (
        SELECT thread_id, checkpoint_ns, checkpoint_id, (checkpoint ->> 'ts')::timestamptz AS ts,
               row_number() OVER (PARTITION BY thread_id, checkpoint_ns ORDER BY checkpoint_id DESC) AS newest
        FROM checkpoints WHERE %(thread_id)s::text IS NULL OR thread_id = %(thread_id)s
    ) ranked
    WHERE newest > %(keep)s AND ts < now() - %(older_than)s
), writes AS (
    DELETE FROM checkpoint_writes w USING doomed d
    WHERE w.thread_id = d.thread_id AND w.checkpoint_ns = d.checkpoint_ns AND w.checkpoint_id = d.checkpoint_id
    RETURNING 1
), gone AS (
    DELETE FROM checkpoints c USING doomed d
    WHERE c.thread_id = d.thread_id AND c.checkpoint_ns = d.checkpoint_ns AND c.checkpoint_id = d.checkpoint_id
    RETURNING c.thread_id
)
SELECT (SELECT count(*) FROM gone) AS checkpoints, (SELECT count(*) FROM writes) AS writes,
       (SELECT coalesce(array_agg(DISTINCT thread_id), '{}') FROM gone) AS threads"""
# Only the threads just pruned are scanned; a blob stays while any checkpoint of its thread names its version.
DELETE_ORPHAN_BLOBS_SQL = """
DELETE FROM checkpoint_blobs b
WHERE b.thread_id = ANY(%s)
  AND NOT EXISTS (
    SELECT 1 FROM checkpoints c
    WHERE c.thread_id = b.thread_id AND c.checkpoint_ns = b.checkpoint_ns
      AND c.checkpoint -> 'channel_versions' ->> b.channel = b.version)"""


@dataclass(frozen=True)
class PruneResult:
    checkpoints: int
    writes: int
    blobs: int
    threads: int


async def prune_checkpoints(
    conn: AsyncConnection, *, keep: int, older_than: timedelta, thread_id: str | None = None,
) -> PruneResult:
    """Delete what retention allows (in every thread, or one); `keep` >= 1 so a thread keeps its state."""
    if keep < 1:
        raise ValueError("keep must be at least 1: the newest checkpoint is the thread's current state")
    async with conn.transaction():
        params = {"keep": keep, "older_than": older_than, "thread_id": thread_id}
        pruned = await (await conn.execute(PRUNE_SQL, params)).fetchone()
        blobs = (await conn.execute(DELETE_ORPHAN_BLOBS_SQL, (pruned["threads"],))).rowcount
    return PruneResult(checkpoints=pruned["checkpoints"], writes=pruned["writes"], blobs=blobs,
                       threads=len(pruned["threads"]))


CHECKPOINT_TABLES = ("checkpoints", "checkpoint_writes", "checkpoint_blobs")


async def vacuum_checkpoints(admin_url: str) -> None:
    """VACUUM (ANALYZE) the checkpoint tables: dead rows' space becomes reusable and the planner sees the
    new sizes. The owner's connection (the application role may not vacuum), outside a transaction."""
    await execute_as_owner(admin_url, f"VACUUM (ANALYZE) {', '.join(CHECKPOINT_TABLES)}")
