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
    return {"retrieved": [for_state(h) for h in hits]}


# What the graph reads of a hit's metadata. The rest stays out of the state: a message's metadata is the
# client's own JSON (POST /v1/threads/import), and the checkpoint must be writable (an integer past 64 bits
# there made LangGraph's serializer raise TypeError after the turn was stored; found by the stateful fuzz).
HIT_METADATA = ("role", "key", "value", "polarity", "confidence")


def for_state(hit: dict) -> dict:
    """The hit as the state keeps it: JSON types, and only the metadata the nodes read."""
    metadata = {k: hit["metadata"][k] for k in HIT_METADATA if k in hit["metadata"]}
    return jsonable({**hit, "metadata": metadata})
