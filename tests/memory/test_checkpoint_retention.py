"""Checkpoint retention against the real checkpointer: old checkpoints go, the thread's state stays whole."""

import uuid
from datetime import timedelta

import pytest

from graphs.runner import run_turn
from memory.checkpoint_retention import CHECKPOINT_TABLES, prune_checkpoints, vacuum_checkpoints


async def _checkpoints(runtime, thread_id: str) -> list:
    config = {"configurable": {"thread_id": thread_id}}
    return [c async for c in runtime.resources.checkpointer.alist(config)]


async def _blob_count(runtime, thread_id: str) -> int:
    async with runtime.resources.pool.connection() as conn:
        row = await (await conn.execute(
            "SELECT count(*) AS n FROM checkpoint_blobs WHERE thread_id = %s", (thread_id,))).fetchone()
    return row["n"]


async def test_prune_keeps_the_newest_and_the_state(runtime, principal):
    thread_id, other = str(uuid.uuid4()), str(uuid.uuid4())
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    for n in range(4):
        await run_turn(runtime.graph, message=f"Note number {n} about gardening.", thread_id=thread_id, **owner)
    for n in range(2):
        await run_turn(runtime.graph, message=f"Other thread {n}.", thread_id=other, **owner)
    before = await _checkpoints(runtime, thread_id)
    blobs_before = await _blob_count(runtime, thread_id)
    assert len(before) >= 4

    async with runtime.resources.pool.connection() as conn:
        result = await prune_checkpoints(conn, keep=2, older_than=timedelta(0), thread_id=thread_id)

    after = await _checkpoints(runtime, thread_id)
    assert [c.config["configurable"]["checkpoint_id"] for c in after] == \
        [c.config["configurable"]["checkpoint_id"] for c in before[:2]]
    assert result.checkpoints == len(before) - 2 and result.threads == 1
    assert await _blob_count(runtime, thread_id) == blobs_before - result.blobs
    assert len(await _checkpoints(runtime, other)) >= 2  # another thread is untouched
    state = await runtime.graph.aget_state({"configurable": {"thread_id": thread_id}})
    assert len(state.values["messages"]) == 8  # four turns, whole, from the newest checkpoint and its blobs
    nxt = await run_turn(runtime.graph, message="And one more.", thread_id=thread_id, **owner)
    assert nxt.reply


async def test_recent_checkpoints_are_kept_and_keep_must_be_positive(runtime, principal):
    thread_id = str(uuid.uuid4())
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    for n in range(3):
        await run_turn(runtime.graph, message=f"Turn {n}.", thread_id=thread_id, **owner)
    count = len(await _checkpoints(runtime, thread_id))
    async with runtime.resources.pool.connection() as conn:
        result = await prune_checkpoints(conn, keep=1, older_than=timedelta(days=30), thread_id=thread_id)
        assert result.checkpoints == 0
        with pytest.raises(ValueError, match="keep must be at least 1"):
            await prune_checkpoints(conn, keep=0, older_than=timedelta(0))
    assert len(await _checkpoints(runtime, thread_id)) == count


async def test_vacuum_runs_on_the_checkpoint_tables_as_their_owner(runtime):
    stats = ("SELECT relname, vacuum_count FROM pg_stat_user_tables"
             " WHERE relname IN ('checkpoints', 'checkpoint_writes', 'checkpoint_blobs')")
    async with runtime.resources.pool.connection() as conn:
        before = {r["relname"]: r["vacuum_count"] for r in await (await conn.execute(stats)).fetchall()}
    await vacuum_checkpoints(runtime.resources.admin_url)
    async with runtime.resources.pool.connection() as conn:
        after = {r["relname"]: r["vacuum_count"] for r in await (await conn.execute(stats)).fetchall()}
    assert set(after) == set(CHECKPOINT_TABLES)
    assert all(after[name] == before[name] + 1 for name in CHECKPOINT_TABLES), (before, after)
