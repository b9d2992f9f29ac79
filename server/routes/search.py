"""POST /v1/search: the same hybrid search the retrieve node runs, with the caller's filters."""

from __future__ import annotations

import time

from fastapi import APIRouter

from memory.db import tenant_connection
from memory.embeddings import aembed
from memory.rows import jsonable
from memory.search import SearchQuery, hybrid_search
from server.deps import Caller, Runtime, owned_thread
from server.schemas import SearchRequest, SearchResponse

router = APIRouter(prefix="/v1", tags=["search"])


@router.post("/search", response_model=SearchResponse)
async def search(body: SearchRequest, runtime: Runtime, caller: Caller) -> dict:
    started = time.perf_counter()
    [vector] = await aembed(runtime.resources.embedder, [body.query])
    query = SearchQuery(
        text=body.query, embedding=vector, tenant_id=caller.tenant_id, user_id=caller.user_id, k=body.k,
        types=tuple(body.types), categories=body.categories, thread_id=body.thread_id, since=body.since,
        until=body.until, min_score=body.min_score,
    )
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        if body.thread_id:
            await owned_thread(conn, caller, body.thread_id)
        hits = await hybrid_search(conn, query)
    return {"results": [jsonable(h) for h in hits], "took_ms": round((time.perf_counter() - started) * 1000, 2)}
