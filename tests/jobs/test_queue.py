"""The durable extraction queue against the session's real PostgreSQL: a job enqueued is run by a
worker, a message enqueued twice is extracted once, the sweep closes the gap between a turn's commit
and its enqueue, and a worker killed (SIGKILL) mid-job loses no job and writes nothing twice."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import sys
import uuid
from pathlib import Path
from uuid import UUID

import pytest
from procrastinate.manager import JobManager

from jobs.app import EXTRACTION_QUEUE, ensure_schema, worker_connector
from jobs.enqueue import enqueue_extraction, requeue_unextracted
from jobs.stalled import retry_stalled_jobs
from jobs.tasks import extraction_lock
from memory.consolidation import message_tenant
from memory.db import tenant_connection
from memory.threads import ensure_thread, insert_message
from memory.users import ensure_user
from server.worker import run_worker

WORKER_PROC = Path(__file__).with_name("worker_proc.py")
_spec = importlib.util.spec_from_file_location("worker_proc", WORKER_PROC)
worker_proc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worker_proc)

MEMORIES_OF_SQL = "SELECT key, value FROM memories WHERE source_message_id = %s"
EXTRACTED_AT_SQL = "SELECT extracted_at FROM messages WHERE id = %s"
LIVE_JOBS_SQL = "SELECT status FROM procrastinate_jobs WHERE lock = %s AND status IN ('todo', 'doing', 'failed')"
FAST = {"heartbeat_s": 0.5, "stalled_after_s": 2.0}


@pytest.fixture(autouse=True)
async def queue_ready(resources):
    """The queue's tables."""
    await ensure_schema(resources.urls.database_url)


async def _user_message(resources, tenant: str, content: str = "I love jazz and I am vegetarian",
                        *, pending: bool = True) -> UUID:
    async with tenant_connection(resources.pool, tenant) as conn:
        await ensure_user(conn, tenant_id=tenant, user_id="alice")
        thread_id = f"thread-{uuid.uuid4().hex}"
        await ensure_thread(conn, tenant_id=tenant, user_id="alice", thread_id=thread_id)
        row = await insert_message(conn, tenant_id=tenant, user_id="alice", thread_id=thread_id, role="user",
                                   content=content, embedding=None,
                                   metadata={"extraction": "pending"} if pending else {})
    return row["id"]


async def _state(resources, message_id: UUID) -> tuple[list[tuple[str, str]], object, list[str]]:
    """(memories from the message, its extracted_at, its unfinished jobs)."""
    async with tenant_connection(resources.pool, await message_tenant(resources, message_id)) as conn:
        memories = await (await conn.execute(MEMORIES_OF_SQL, (message_id,))).fetchall()
        extracted_at = (await (await conn.execute(EXTRACTED_AT_SQL, (message_id,))).fetchone())["extracted_at"]
        jobs = await (await conn.execute(LIVE_JOBS_SQL, (extraction_lock(message_id),))).fetchall()
    return [(r["key"], r["value"]) for r in memories], extracted_at, [r["status"] for r in jobs]


def _written_once(memories: list[tuple[str, str]]) -> bool:
    """Something written, and no value twice."""
    return bool(memories) and len(memories) == len({value.lower() for _, value in memories})


async def test_enqueued_job_is_run_by_a_worker(resources, settings, tenant):
    message_id = await _user_message(resources, tenant)
    assert await enqueue_extraction(resources, [message_id], tenant_id=tenant) == 1
    assert (await _state(resources, message_id))[2] == ["todo"]

    await run_worker(settings, once=True, resources=resources, **FAST)

    memories, extracted_at, jobs = await _state(resources, message_id)
    assert _written_once(memories) and extracted_at is not None and jobs == []


async def test_same_message_enqueued_twice_writes_once(resources, settings, tenant):
    message_id = await _user_message(resources, tenant)
    # one waiting job per message
    assert await enqueue_extraction(resources, [message_id, message_id], tenant_id=tenant) == 1
    await run_worker(settings, once=True, resources=resources, **FAST)
    first, extracted_at, _ = await _state(resources, message_id)

    # done jobs do not block a new one...
    assert await enqueue_extraction(resources, [message_id], tenant_id=tenant) == 1
    await run_worker(settings, once=True, resources=resources, **FAST)
    again, extracted_again, jobs = await _state(resources, message_id)
    assert _written_once(first) and sorted(again) == sorted(first)  # ...which writes nothing
    assert extracted_again == extracted_at and jobs == []


async def test_enqueue_inside_the_callers_transaction_commits_with_it(resources, tenant):
    message_id = await _user_message(resources, tenant)
    with pytest.raises(RuntimeError):
        async with tenant_connection(resources.pool, tenant) as conn:
            assert await enqueue_extraction(resources, [message_id], tenant_id=tenant, conn=conn) == 1
            raise RuntimeError("the turn failed before its commit")
    assert (await _state(resources, message_id))[2] == []

    async with tenant_connection(resources.pool, tenant) as conn:
        assert await enqueue_extraction(resources, [message_id], tenant_id=tenant, conn=conn) == 1
    assert (await _state(resources, message_id))[2] == ["todo"]


async def test_sweep_enqueues_pending_messages_left_without_a_job(resources, settings, tenant):
    pending = await _user_message(resources, tenant)
    inline = await _user_message(resources, tenant, pending=False)

    await requeue_unextracted(resources, older_than_s=3600)  # too recent to be taken for lost
    assert (await _state(resources, pending))[2] == []
    assert await requeue_unextracted(resources, older_than_s=0) >= 1
    assert (await _state(resources, pending))[2] == ["todo"]
    assert (await _state(resources, inline))[2] == []
    await requeue_unextracted(resources, older_than_s=0)  # its job waits: not enqueued twice
    assert (await _state(resources, pending))[2] == ["todo"]

    await run_worker(settings, once=True, resources=resources, **FAST)
    memories, extracted_at, _ = await _state(resources, pending)
    assert memories and extracted_at is not None
    await requeue_unextracted(resources, older_than_s=0)  # extracted: the sweep leaves it alone
    assert (await _state(resources, pending))[2] == []


async def test_stalled_job_gives_way_to_a_newer_job_of_the_same_message(resources, settings, tenant):
    """A dead worker's job holds the message's lock while a newer job for it waits: putting the old one
    back would break the one-waiting-job rule, so it ends and the newer one runs."""
    message_id = await _user_message(resources, tenant)
    await enqueue_extraction(resources, [message_id], tenant_id=tenant)
    connector = worker_connector(resources.urls.database_url, 1)
    await connector.open_async()
    try:
        manager = JobManager(connector)
        dead = await manager.register_worker()
        taken = await manager.fetch_job(queues=[EXTRACTION_QUEUE], worker_id=dead)
        while taken.task_kwargs["message_id"] != str(message_id):  # another test's job: back in the queue below
            taken = await manager.fetch_job(queues=[EXTRACTION_QUEUE], worker_id=dead)
        async with resources.pool.connection() as conn:
            await conn.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' "
                               "WHERE id = %s", (dead,))
        assert await enqueue_extraction(resources, [message_id], tenant_id=tenant) == 1
        assert sorted((await _state(resources, message_id))[2]) == ["doing", "todo"]

        await retry_stalled_jobs(manager, stalled_after_s=60)
        assert (await _state(resources, message_id))[2] == ["todo"]
    finally:
        await connector.close_async()
    await run_worker(settings, once=True, resources=resources, **FAST)
    assert await _done(resources, message_id)


async def _start_worker(pause: str, *options: str, stderr) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER_PROC), pause, "60", "--heartbeat", "0.5", "--stalled-after", "2",
        "--sweep-every", "0.5", *options,
        stdout=asyncio.subprocess.PIPE, stderr=stderr, env={**os.environ, "MNEMO_EXTRACTION": "background"},
    )


async def _wait_for(predicate, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.2)


@pytest.mark.parametrize("pause", ["before", "after"])
async def test_worker_killed_mid_job_loses_nothing_and_writes_once(resources, settings, tenant, tmp_path, pause):
    """`before`: killed before the body committed; `after`: killed after the commit, before the ack."""
    await run_worker(settings, once=True, resources=resources, **FAST)  # other tests' jobs: not paused on
    message_id = await _user_message(resources, tenant)
    await enqueue_extraction(resources, [message_id], tenant_id=tenant)

    with open(tmp_path / "first.log", "wb") as log:
        first = await _start_worker(pause, stderr=log)
        try:
            async with asyncio.timeout(30):
                while (line := await first.stdout.readline()) != f"PAUSED {message_id}\n".encode():
                    assert line, f"the first worker exited: {(tmp_path / 'first.log').read_text()[-2000:]}"
        finally:
            first.kill()
            await first.wait()
    memories, _, jobs = await _state(resources, message_id)
    assert jobs == ["doing"]  # the dead worker's job, which nobody else runs yet
    assert bool(memories) == (pause == "after")

    with open(tmp_path / "second.log", "wb") as log:
        second = await _start_worker("none", stderr=log)
        try:
            await _wait_for(lambda: _done(resources, message_id))
        finally:
            second.send_signal(signal.SIGTERM)
            code = await second.wait()
    assert code == 0, (tmp_path / "second.log").read_text()[-2000:]
    memories, extracted_at, jobs = await _state(resources, message_id)
    assert _written_once(memories) and extracted_at is not None and jobs == []


async def _done(resources, message_id: UUID) -> bool:
    _, extracted_at, jobs = await _state(resources, message_id)
    return extracted_at is not None and jobs == []
