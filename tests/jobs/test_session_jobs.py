"""The consolidation of ended sessions on the durable queue, against the session's real PostgreSQL: the
worker's sweep queues a session once it has been idle for the window, the worker consolidates it, and a
job delivered again (or the sweep run again) writes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from jobs.app import ensure_schema
from jobs.enqueue import enqueue_session_consolidation, requeue_ended_sessions
from jobs.tasks import session_lock
from memory.db import tenant_connection
from memory.sessions import ended_sessions_to_consolidate, record_turn
from memory.threads import ensure_thread, insert_message
from memory.users import ensure_user
from server.worker import run_worker

FAST = {"heartbeat_s": 0.5, "stalled_after_s": 2.0}
SESSION_SQL = "SELECT consolidated_at, consolidation, learned FROM sessions WHERE id = %s"
MEMORIES_SQL = "SELECT key, value FROM memories WHERE tenant_id = %s AND user_id = 'alice' ORDER BY created_at"
LIVE_JOBS_SQL = "SELECT status FROM procrastinate_jobs WHERE lock = %s AND status IN ('todo', 'doing', 'failed')"


@pytest.fixture(autouse=True)
async def queue_ready(resources):
    await ensure_schema(resources.urls.database_url)


async def _session(resources, tenant: str, minutes_ago: float) -> UUID:
    """One turn of alice `minutes_ago`, whose message the pipeline has not run on yet (the consolidation
    will); not marked pending, so the extraction sweep leaves it to the session's job."""
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    async with tenant_connection(resources.pool, tenant) as conn:
        await ensure_user(conn, tenant_id=tenant, user_id="alice")
        thread_id = f"thread-{uuid.uuid4().hex}"
        await ensure_thread(conn, tenant_id=tenant, user_id="alice", thread_id=thread_id)
        await insert_message(conn, tenant_id=tenant, user_id="alice", thread_id=thread_id, role="user",
                             content="I live in Bergen and I love jazz.", embedding=None, created_at=at)
        return await record_turn(conn, tenant_id=tenant, user_id="alice", at=at)


async def _state(resources, tenant: str, session_id: UUID) -> tuple[dict, list[tuple[str, str]], list[str]]:
    """(the session row, alice's memories, the session's unfinished jobs)."""
    async with tenant_connection(resources.pool, tenant) as conn:
        session = await (await conn.execute(SESSION_SQL, (session_id,))).fetchone()
        memories = await (await conn.execute(MEMORIES_SQL, (tenant,))).fetchall()
        jobs = await (await conn.execute(LIVE_JOBS_SQL, (session_lock(session_id),))).fetchall()
    return session, [(m["key"], m["value"]) for m in memories], [j["status"] for j in jobs]


async def test_the_sweep_queues_an_ended_session_and_the_worker_consolidates_it_once(resources, settings, tenant):
    active = await _session(resources, f"{tenant}-active", minutes_ago=5)
    ended = await _session(resources, tenant, minutes_ago=45)
    async with resources.pool.connection() as conn:  # no tenant: the definer function reads across tenants
        candidates = {r["id"] for r in await ended_sessions_to_consolidate(conn, idle_minutes=30)}
    assert ended in candidates and active not in candidates

    assert await requeue_ended_sessions(resources, idle_minutes=30) >= 1
    assert (await _state(resources, tenant, ended))[2] == ["todo"]
    assert (await _state(resources, f"{tenant}-active", active))[2] == []
    await requeue_ended_sessions(resources, idle_minutes=30)  # its job waits: not queued twice
    assert (await _state(resources, tenant, ended))[2] == ["todo"]

    await run_worker(settings, once=True, resources=resources, **FAST)

    session, memories, jobs = await _state(resources, tenant, ended)
    assert session["consolidated_at"] is not None and jobs == []
    assert session["consolidation"]["extracted"] == len(memories) >= 2 and session["learned"] == len(memories)
    assert ("profile.location", "Bergen") in memories and len(set(memories)) == len(memories)
    assert (await _state(resources, f"{tenant}-active", active))[0]["consolidated_at"] is None

    # Delivered again: the job runs and writes nothing; the sweep leaves a consolidated session alone.
    assert await enqueue_session_consolidation(resources, [ended], tenant_id=tenant) == 1
    await run_worker(settings, once=True, resources=resources, **FAST)
    again, memories_again, jobs = await _state(resources, tenant, ended)
    assert again == session and memories_again == memories and jobs == []
    await requeue_ended_sessions(resources, idle_minutes=30)
    assert (await _state(resources, tenant, ended))[2] == []
