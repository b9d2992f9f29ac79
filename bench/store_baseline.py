"""LangGraph's own `AsyncPostgresStore.asearch` on the same memories, the baseline for Mnemo's search.

What a LangGraph user would otherwise use for long-term memory: the store with a pgvector index (HNSW,
cosine, the store's defaults), one item per memory in the namespace ("bench", <user>), its `text` field
embedded. The rows and vectors are the bench user's memories, copied from the memories table, in a
schema of their own (`mnemo_bench_store`) so the product's tables are untouched. The query's vector is
looked up, not computed, on both sides: only search is timed. The store connects as the owner and has
no row-level security; Mnemo's search runs through the application role with RLS forced.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import psycopg
from langgraph.store.postgres.aio import AsyncPostgresStore

from memory.db import execute_as_owner

SCHEMA = "mnemo_bench_store"
FIELD = "text"
COUNT_SQL = "SELECT count(*) FROM store WHERE prefix = %s"
CLEAR_SQL = "DELETE FROM store WHERE prefix = %s"
# As the owner, with the tenant set so the memories' policy lets the rows through even where RLS applies.
COPY_ITEMS_SQL = f"""
INSERT INTO {SCHEMA}.store (prefix, key, value)
SELECT %(prefix)s, id::text, jsonb_build_object('{FIELD}', content) FROM public.memories
WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND valid_until IS NULL"""
COPY_VECTORS_SQL = f"""
INSERT INTO {SCHEMA}.store_vectors (prefix, key, field_name, embedding)
SELECT %(prefix)s, id::text, '{FIELD}', embedding FROM public.memories
WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND valid_until IS NULL"""


def store_url(admin_url: str) -> str:
    """The owner's URL with the bench schema first on the search path (the store names its tables bare)."""
    options = f"options=-csearch_path%3D{SCHEMA},public"
    return admin_url + ("&" if "?" in admin_url else "?") + options


class StoreBaseline:
    """An open store holding the bench user's memories; `search` is what gets timed."""

    def __init__(self, store: AsyncPostgresStore, namespace: tuple[str, ...], vectors: dict[str, np.ndarray]):
        self.store, self.namespace, self.vectors = store, namespace, vectors

    async def search(self, text: str, k: int) -> list:
        return await self.store.asearch(self.namespace, query=text, limit=k)


async def ensure_items(admin_url: str, prefix: str, tenant_id: str, user_id: str, rows: int) -> bool:
    """Copy the user's current memories into the store unless it holds as many; True when copied."""
    async with await psycopg.AsyncConnection.connect(store_url(admin_url), autocommit=True) as conn:
        have = (await (await conn.execute(COUNT_SQL, (prefix,))).fetchone())[0]
        if have == rows:
            return False
        params = {"prefix": prefix, "tenant": tenant_id, "user": user_id}
        async with conn.transaction():
            await conn.execute("SELECT set_config('mnemo.tenant_id', %s, true)", (tenant_id,))
            await conn.execute(CLEAR_SQL, (prefix,))
            await conn.execute(COPY_ITEMS_SQL, params)
            await conn.execute(COPY_VECTORS_SQL, params)
        await conn.execute("ANALYZE store, store_vectors")
    return True


def open_store(admin_url: str, dims: int, vectors: dict[str, np.ndarray]):
    """AsyncPostgresStore.from_conn_string with an embed function that looks the query's vector up."""

    async def embed(texts: Sequence[str]) -> list[list[float]]:
        return [vectors[t].tolist() for t in texts]

    return AsyncPostgresStore.from_conn_string(
        store_url(admin_url), index={"dims": dims, "embed": embed, "fields": [FIELD]})


async def create_schema(admin_url: str) -> None:
    await execute_as_owner(admin_url, f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
