"""Concurrent turns of one user on many threads write the same memories without deadlocking: each
transaction that writes a user's memories or session takes the user's lock first (memory.users.lock_user)."""

from __future__ import annotations

import asyncio
import uuid

from graphs.runner import run_turn
from memory.db import tenant_connection

CITIES = ("Lyon", "Paris", "Nantes", "Lille", "Rennes", "Nice", "Brest", "Dijon")


async def test_sixteen_concurrent_turns_of_one_user_all_commit_with_one_current_value(runtime, principal):
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    messages = [f"I live in {CITIES[i % len(CITIES)]}, I am vegetarian and I love jazz and hiking {i}."
                for i in range(16)]
    results = await asyncio.gather(*(run_turn(runtime.graph, message=m, thread_id=str(uuid.uuid4()), **owner)
                                     for m in messages), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert not failed, failed[:3]
    async with tenant_connection(runtime.resources.pool, principal.tenant_id) as conn:
        rows = await (await conn.execute(
            "SELECT key, count(*) AS n FROM memories WHERE tenant_id = %s AND user_id = %s"
            " AND valid_until IS NULL GROUP BY key", (principal.tenant_id, principal.user_id))).fetchall()
        turns = await (await conn.execute(
            "SELECT count(*) AS n FROM messages WHERE tenant_id = %s AND role = 'user'",
            (principal.tenant_id,))).fetchone()
    current = {r["key"]: r["n"] for r in rows}
    assert current.get("profile.location") == 1, current  # single-valued: one current city, the others superseded
    assert turns["n"] == 16
