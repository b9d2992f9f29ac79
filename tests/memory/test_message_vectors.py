"""The reply's vector is written after the answer; the NULL is its durable mark, and the sweep every
process runs at start embeds what a dead process left. Real PostgreSQL, the real embedder."""

import uuid

import numpy as np

from graphs.runner import run_turn
from memory.db import tenant_connection
from memory.embeddings import default_embedder
from memory.message_vectors import sweep_unembedded
from memory.threads import insert_message
from memory.users import ensure_user

VECTORS_SQL = "SELECT role, content, embedding FROM messages WHERE thread_id = %s ORDER BY seq"


async def _vectors(resources, tenant_id: str, thread_id: str) -> list[dict]:
    async with tenant_connection(resources.pool, tenant_id) as conn:
        return await (await conn.execute(VECTORS_SQL, (thread_id,))).fetchall()


async def test_reply_is_embedded_after_the_turn_answered(runtime, resources, principal):
    thread = str(uuid.uuid4())
    result = await run_turn(runtime.graph, message="Tell me about the Loire valley.", thread_id=thread,
                            tenant_id=principal.tenant_id, user_id=principal.user_id)
    assert await resources.background.wait(10)
    user, reply = await _vectors(resources, principal.tenant_id, thread)
    assert reply["content"] == result.reply and reply["embedding"] is not None
    expected = default_embedder().embed([result.reply])[0]
    assert np.allclose(reply["embedding"].to_numpy(), expected, atol=1e-5)
    assert user["embedding"] is not None  # the user's message is embedded in the turn, as before


async def test_sweep_embeds_messages_a_process_left_without_a_vector(resources, principal):
    thread = str(uuid.uuid4())
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        await ensure_user(conn, **owner)
        await conn.execute("INSERT INTO threads (id, tenant_id, user_id) VALUES (%s, %s, %s)",
                           (thread, principal.tenant_id, principal.user_id))
        for text in ("a reply whose process died", "another one"):
            await insert_message(conn, **owner, thread_id=thread, role="assistant", content=text, embedding=None)
    assert await sweep_unembedded(resources.pool, resources.embedder, batch=1) >= 2
    rows = await _vectors(resources, principal.tenant_id, thread)
    assert all(r["embedding"] is not None for r in rows)
    expected = default_embedder().embed([r["content"] for r in rows])
    assert np.allclose(np.stack([r["embedding"].to_numpy() for r in rows]), expected, atol=1e-5)
    assert await sweep_unembedded(resources.pool, resources.embedder) == 0
