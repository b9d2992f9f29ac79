"""Message vectors written after the answer.

A turn's reply is stored without its embedding and embedded once the turn has answered (persist
starts `embed_later` after its commit): the embedding was on the answer's path, and the reply's vector
only matters to later searches over past messages. Until it lands, the reply is found by its words
(full text) and as a neighbour of its question, not by meaning.

The NULL embedding itself is the durable mark: a process that dies between the commit and its
background embedding leaves the NULL, and `sweep_unembedded`, which every process runs when it opens
its resources, embeds what any process left (oldest first, across tenants through a SECURITY DEFINER
read, written back under each tenant's own row-level security).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from memory.db import tenant_connection
from memory.embeddings import Embedder, aembed

log = logging.getLogger(__name__)

SWEEP_BATCH = 256
UNEMBEDDED_SQL = "SELECT id, tenant_id, content FROM mnemo_unembedded_messages(%s)"
SET_VECTOR_SQL = "UPDATE messages SET embedding = %s WHERE id = %s AND embedding IS NULL"


async def embed_messages(pool: AsyncConnectionPool, embedder: Embedder, tenant_id: str,
                         messages: list[tuple[UUID, str]]) -> None:
    """Embed these messages of one tenant and store their vectors, in one transaction (a message that
    got its vector meanwhile keeps it)."""
    vectors = await aembed(embedder, [content for _, content in messages])
    async with tenant_connection(pool, tenant_id) as conn, conn.cursor() as cur:
        await cur.executemany(SET_VECTOR_SQL, [(vector, message_id) for (message_id, _), vector
                                               in zip(messages, vectors, strict=True)])


async def embed_later(pool: AsyncConnectionPool, embedder: Embedder, tenant_id: str, message_id: UUID,
                      content: str) -> None:
    """One reply's vector, after its turn answered. A failure is logged: the sweep retries it."""
    try:
        await embed_messages(pool, embedder, tenant_id, [(message_id, content)])
    except Exception:
        log.warning("message %s: embedding deferred to the next sweep", message_id, exc_info=True)


async def sweep_unembedded(pool: AsyncConnectionPool, embedder: Embedder, *, batch: int = SWEEP_BATCH) -> int:
    """Embed every stored message still without a vector; returns how many were embedded."""
    done = 0
    while True:
        async with pool.connection() as conn:
            rows = await (await conn.execute(UNEMBEDDED_SQL, (batch,))).fetchall()
        if not rows:
            return done
        by_tenant: dict[str, list[tuple[UUID, str]]] = defaultdict(list)
        for row in rows:
            by_tenant[row["tenant_id"]].append((row["id"], row["content"]))
        for tenant_id, messages in by_tenant.items():
            await embed_messages(pool, embedder, tenant_id, messages)
        done += len(rows)
        if len(rows) < batch:
            return done


async def sweep_on_start(pool: AsyncConnectionPool, embedder: Embedder) -> None:
    """`sweep_unembedded` in the background of a process's start: logged, never raised."""
    try:
        done = await sweep_unembedded(pool, embedder)
    except Exception:
        log.warning("the sweep of messages without a vector failed; the next start retries", exc_info=True)
        return
    if done:
        log.info("embedded %d stored message(s) left without a vector", done)
