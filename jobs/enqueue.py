"""Putting jobs on the queue: extraction after a turn, after an import, and by the sweep; the
consolidation of ended sessions by the sweep.

A process can die between a turn's commit and its enqueue; user messages persisted in background
mode carry `metadata.extraction = 'pending'` until a worker sets `extracted_at`, so the sweep that
every worker runs finds those that no job covers and enqueues them again.

Jobs carry the message's tenant, so the worker opens a tenant-scoped transaction (row-level security)
without a lookup; the sweep reads across tenants through a SECURITY DEFINER function
(migrations/004_tenancy.sql), the only way the application role can.

Sessions have no job until they end: every worker's sweep queues those idle for the idle window and not
yet consolidated that no job covers (migrations/007_sessions.sql reads them across tenants). A job
delivered twice, or a session queued twice, is consolidated once (`sessions.consolidated_at`).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol
from uuid import UUID

from procrastinate import PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.manager import JobManager
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from jobs.app import EXTRACTION_QUEUE, SESSIONS_QUEUE
from jobs.tasks import CONSOLIDATE_SESSION_TASK, EXTRACT_TASK, extraction_lock, session_lock

# User messages left pending: no job waits for them, none runs them, none gave up on them (a failed
# job is procrastinate's to retry, by hand: the sweep does not loop on a message that always fails).
UNEXTRACTED_SQL = """
SELECT m.id, m.tenant_id FROM mnemo_pending_extractions(%s) m
WHERE NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                  WHERE j.lock = 'extract:' || m.id::text AND j.status IN ('todo', 'doing', 'failed'))
ORDER BY m.created_at
LIMIT %s"""
# Ended sessions not consolidated that no job waits for, runs, or gave up on (as above).
UNCONSOLIDATED_SQL = """
SELECT s.id, s.tenant_id FROM mnemo_ended_sessions(%s) s
WHERE NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                  WHERE j.lock = 'session:' || s.id::text AND j.status IN ('todo', 'doing', 'failed'))
ORDER BY s.last_turn_at
LIMIT %s"""


class PoolHolder(Protocol):
    """What enqueueing needs: the application's pool (`graphs.resources.Resources` has it)."""

    pool: AsyncConnectionPool


def _job(message_id: UUID, tenant_id: str) -> Job:
    lock = extraction_lock(message_id)
    return Job(queue=EXTRACTION_QUEUE, task_name=EXTRACT_TASK, lock=lock, queueing_lock=lock,
               task_kwargs={"message_id": str(message_id), "tenant_id": tenant_id})


def _session_job(session_id: UUID, tenant_id: str) -> Job:
    lock = session_lock(session_id)
    return Job(queue=SESSIONS_QUEUE, task_name=CONSOLIDATE_SESSION_TASK, lock=lock, queueing_lock=lock,
               task_kwargs={"session_id": str(session_id), "tenant_id": tenant_id})


async def _defer(db: AsyncConnection, jobs: Iterable[Job]) -> int:
    """Each job in a savepoint of its own; one that already waits (its queueing lock) is skipped."""
    manager = JobManager(PsycopgConnector())  # given a connection for each query: no pool of its own
    added = 0
    for job in jobs:
        try:
            async with db.transaction():  # a savepoint inside the caller's transaction
                await manager.defer_job_async(job, connection=db)
            added += 1
        except AlreadyEnqueued:
            continue
    return added


async def enqueue_extraction(
    res: PoolHolder, message_ids: Iterable[UUID], *, tenant_id: str, conn: AsyncConnection | None = None
) -> int:
    """Enqueue one extraction job per message of `tenant_id`; return how many were added.

    A message that already has a waiting job is skipped (procrastinate's queueing lock). Pass `conn`
    inside the transaction that inserts the messages to make the enqueue commit with them (the queue's
    tables are procrastinate's, not a tenant's: any connection of the pool may write them)."""
    async with contextlib.nullcontext(conn) if conn is not None else res.pool.connection() as db:
        return await _defer(db, [_job(message_id, tenant_id) for message_id in message_ids])


async def requeue_unextracted(res: PoolHolder, older_than_s: float = 60.0, limit: int = 1000) -> int:
    """Enqueue pending user messages older than `older_than_s` that no job covers, of every tenant;
    return how many."""
    async with res.pool.connection() as conn:
        rows = await (await conn.execute(UNEXTRACTED_SQL, (older_than_s, limit))).fetchall()
    by_tenant: dict[str, list[UUID]] = defaultdict(list)
    for row in rows:
        by_tenant[row["tenant_id"]].append(row["id"])
    return sum([await enqueue_extraction(res, ids, tenant_id=tenant) for tenant, ids in by_tenant.items()])


async def enqueue_session_consolidation(res: PoolHolder, session_ids: Iterable[UUID], *, tenant_id: str) -> int:
    """Enqueue the consolidation of these sessions of `tenant_id`; return how many jobs were added (a session
    whose job already waits is skipped)."""
    async with res.pool.connection() as db:
        return await _defer(db, [_session_job(session_id, tenant_id) for session_id in session_ids])


async def requeue_ended_sessions(res: PoolHolder, idle_minutes: int, limit: int = 1000) -> int:
    """Enqueue the consolidation of the sessions of every tenant idle for `idle_minutes`, not consolidated,
    that no job covers; return how many."""
    async with res.pool.connection() as conn:
        rows = await (await conn.execute(UNCONSOLIDATED_SQL, (idle_minutes * 60.0, limit))).fetchall()
    by_tenant: dict[str, list[UUID]] = defaultdict(list)
    for row in rows:
        by_tenant[row["tenant_id"]].append(row["id"])
    return sum([await enqueue_session_consolidation(res, ids, tenant_id=tenant) for tenant, ids in by_tenant.items()])
