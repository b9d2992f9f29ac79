"""Memory work on stored messages, outside a turn: the background extraction job (`mnemo worker`)
and the consolidation of an archived thread.

Both run the same pipeline as the turn (memory/extraction.py), read timeframes relative to when the
message was written, and mark each message with extracted_at in the transaction that writes its
memories: a job delivered twice, or an archive requested twice, writes once.

Memory-layer code: it takes whatever holds the pool, the cache, the embedder and the extraction model
(`ExtractionResources`; the runtime's `graphs.resources.Resources` is one) and imports nothing above
memory/.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

import numpy as np
from langchain_core.language_models import BaseChatModel
from psycopg import AsyncConnection

from memory.cache import MemoryStores, refresh_context_memories
from memory.db import tenant_connection
from memory.embeddings import Embedder, aembed
from memory.extraction import aextract_memories, apply_ops, ops_texts, to_memory_ops
from memory.learned.model import ClauseModel
from memory.threads import get_thread

MESSAGE_SQL = """
SELECT id, tenant_id, user_id, thread_id, seq, content, created_at, extracted_at FROM messages
WHERE id = %s AND role = 'user'"""
LOCK_MESSAGE_SQL = "SELECT extracted_at FROM messages WHERE id = %s FOR UPDATE"
CONTEXT_SQL = """
SELECT role, content FROM messages WHERE thread_id = %s AND seq < %s ORDER BY seq DESC LIMIT 2"""
MARK_EXTRACTED_SQL = """
UPDATE messages SET extracted_at = now(), metadata = metadata - 'extraction' WHERE id = %s"""
# Before the tenant is known (a job queued before jobs carried it): a SECURITY DEFINER lookup.
MESSAGE_TENANT_SQL = "SELECT mnemo_message_tenant(%s) AS tenant_id"


class ExtractionResources(MemoryStores, Protocol):
    """The pool and cache, plus the embedder and the extraction pass's model (None: rules only)."""

    embedder: Embedder

    def extraction_model(self) -> BaseChatModel | None: ...

    def clause_model(self) -> ClauseModel | None: ...


async def message_tenant(res: ExtractionResources, message_id: UUID) -> str | None:
    """The tenant of a message, read across tenants through the definer function (None if unknown)."""
    async with res.pool.connection() as conn:
        row = await (await conn.execute(MESSAGE_TENANT_SQL, (message_id,))).fetchone()
    return row["tenant_id"]


async def extract_message(res: ExtractionResources, message_id: UUID, tenant_id: str | None = None) -> int:
    """Run the whole pipeline (the configured model included) on one stored user message, consolidate,
    and set extracted_at, in one transaction; returns the number of memories written.

    Idempotent, so a queue may deliver it twice: the model runs outside the transaction, then the row
    lock and a second look at extracted_at make exactly one delivery write. Without `tenant_id` (a job
    queued before jobs carried it) the tenant is looked up first."""
    tenant_id = tenant_id or await message_tenant(res, message_id)
    if tenant_id is None:
        return 0
    async with tenant_connection(res.pool, tenant_id) as conn:
        message = await (await conn.execute(MESSAGE_SQL, (message_id,))).fetchone()
        if message is None or message["extracted_at"] is not None:
            return 0
        earlier = await (await conn.execute(CONTEXT_SQL, (message["thread_id"], message["seq"]))).fetchall()
    found = await aextract_memories(message["content"], list(reversed(earlier)), res.extraction_model(),
                                    res.clause_model())
    ops = to_memory_ops(found, message["created_at"])
    vectors = await aembed(res.embedder, ops_texts(ops)) if ops.add or ops.forget else np.empty((0, 0))
    owner = {"tenant_id": message["tenant_id"], "user_id": message["user_id"]}
    async with tenant_connection(res.pool, tenant_id) as conn:
        locked = await (await conn.execute(LOCK_MESSAGE_SQL, (message_id,))).fetchone()
        if locked is None or locked["extracted_at"] is not None:
            return 0
        written, forgotten = await apply_ops(conn, **owner, ops=ops, vectors=vectors,
                                             thread_id=message["thread_id"], source_message_id=message_id)
        await conn.execute(MARK_EXTRACTED_SQL, (message_id,))
    if written or forgotten:
        await refresh_context_memories(res, message["tenant_id"], message["user_id"])
    return len(written)


UNEXTRACTED_SQL = """
SELECT id FROM messages WHERE thread_id = %s AND role = 'user' AND extracted_at IS NULL ORDER BY seq"""
MARK_CONSOLIDATED_SQL = """
UPDATE threads SET consolidated_at = now()
WHERE id = %s AND tenant_id = %s AND user_id = %s AND consolidated_at IS NULL RETURNING consolidated_at"""


async def unextracted_messages(conn: AsyncConnection, thread_id: str) -> list[UUID]:
    """The thread's user messages the pipeline has not run on, oldest first."""
    return [r["id"] for r in await (await conn.execute(UNEXTRACTED_SQL, (thread_id,))).fetchall()]


async def extract_messages(res: ExtractionResources, message_ids: list[UUID], tenant_id: str | None = None) -> int:
    """In order, so a later message updates what an earlier one said."""
    written = 0
    for message_id in message_ids:
        written += await extract_message(res, message_id, tenant_id)
    return written


async def consolidate_thread(res: ExtractionResources, *, tenant_id: str, user_id: str, thread_id: str) -> int | None:
    """Extract every user message of the thread not yet extracted (an import, a background turn whose
    job has not run), oldest first; then mark the thread consolidated. Returns the number of memories
    written, or None when the thread was already consolidated."""
    async with tenant_connection(res.pool, tenant_id) as conn:
        thread = await get_thread(conn, tenant_id=tenant_id, user_id=user_id, thread_id=thread_id)
        if thread is None or thread["consolidated_at"] is not None:
            return None
        pending = await unextracted_messages(conn, thread_id)
    written = await extract_messages(res, pending, tenant_id)
    async with tenant_connection(res.pool, tenant_id) as conn:
        first = await (await conn.execute(MARK_CONSOLIDATED_SQL, (thread_id, tenant_id, user_id))).fetchone()
    return written if first else None
