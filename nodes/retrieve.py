"""retrieve: hybrid search (vector + full-text, fused) over the user's memories and past messages
from other threads (this thread is already in the history), in one database round trip."""

from __future__ import annotations

import time

from langchain_core.runnables import RunnableConfig

from core.metrics import MEMORY_QUERY_SECONDS
from graphs.context import TurnContext
from graphs.resources import Resources
from graphs.state import TurnState
from memory.db import tenant_connection
from memory.embeddings import aembed
from memory.rows import jsonable
from memory.search import SearchQuery, hybrid_search
from nodes.common import last_user_message, text_of


async def retrieve(state: TurnState, config: RunnableConfig, res: Resources) -> dict:
    ctx = TurnContext.from_config(config)
    text = text_of(last_user_message(state["messages"]))
    [vector] = await aembed(res.embedder, [text])
    query = SearchQuery(
        text=text, embedding=vector, tenant_id=ctx.tenant_id, user_id=ctx.user_id,
        k=res.settings.retrieve_k, exclude_thread_id=ctx.thread_id, min_score=res.settings.retrieve_min_score,
    )
    started = time.perf_counter()
    async with tenant_connection(res.pool, ctx.tenant_id) as conn:
        hits = await hybrid_search(conn, query)
    MEMORY_QUERY_SECONDS.observe(time.perf_counter() - started)
    return {"retrieved": [jsonable(h) for h in hits]}
