"""Long-term memories: list (filtered), create one or a batch, get, correct (PATCH, audited), delete,
stats, the export of everything about the caller, the context the model sees, and a dry-run extraction.

Fixed paths (/bulk, /forget, /stats, /export, /context) are declared before /{memory_id}, which would take them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from memory.cache import load_context_memories, refresh_context_memories
from memory.db import tenant_connection
from memory.embeddings import aembed
from memory.export import export_user
from memory.extract_rules import CATEGORIES
from memory.extraction import aextract_memories
from memory.lineage import forget_with_history, memory_lineage
from memory.memories import (
    CONTEXT_CATEGORIES,
    NewMemory,
    NotCurrent,
    correct_memory,
    delete_memory,
    find_current,
    get_memory,
    list_memories,
    render,
    save_memories,
)
from memory.rows import jsonable
from memory.stats import cache_counts, memory_stats
from memory.users import ensure_user
from server.deps import Caller, Runtime
from server.errors import ApiError
from server.pagination import decode_keyset, encode_cursor
from server.schemas import (
    CorrectedMemory,
    Export,
    ExtractRequest,
    MemoriesForgotten,
    Memory,
    MemoryBulkCreate,
    MemoryBulkCreated,
    MemoryCreate,
    MemoryForget,
    MemoryHistory,
    MemoryPage,
    MemoryPatch,
    MemoryStats,
)

router = APIRouter(prefix="/v1/memories", tags=["memories"])


def _public(row: dict) -> dict:
    return jsonable({k: v for k, v in row.items() if k not in ("action", "supersedes")})


@router.get("", response_model=MemoryPage)
async def get_memories(
    runtime: Runtime, caller: Caller, category: Literal[CATEGORIES] | None = None,  # type: ignore[valid-type]
    key: str | None = Query(default=None, max_length=100), thread_id: str | None = Query(default=None, max_length=100),
    include_superseded: bool = False, cursor: str | None = None, limit: int = Query(default=50, ge=1, le=200),
) -> dict:
    """Newest first; current memories only unless `include_superseded`; `category`, `key` (exact) and
    `thread_id` (the thread a memory was learned in) filter."""
    before = decode_keyset(cursor, UUID)
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        rows = await list_memories(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, category=category,
                                   include_superseded=include_superseded, before=before, limit=limit + 1,
                                   key=key, thread_id=thread_id)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])]) if more else None
    return {"items": [_public(r) for r in rows], "next_cursor": next_cursor}


@router.post("", status_code=201, response_model=Memory, responses={
    200: {"model": Memory, "description": "a restatement: the memory already stored"}})
async def create_memory(body: MemoryCreate, runtime: Runtime, caller: Caller) -> JSONResponse:
    """Store one memory through the same consolidation as extraction; a restatement answers 200 with
    the memory already stored."""
    memory = NewMemory(body.category, body.key, body.value.strip(), body.polarity, body.confidence)
    vectors = await aembed(runtime.resources.embedder,
                           [render(memory.category, memory.key, memory.value, memory.polarity)])
    owner = {"tenant_id": caller.tenant_id, "user_id": caller.user_id}
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        await ensure_user(conn, **owner)
        written = await save_memories(conn, **owner, memories=[memory], embeddings=vectors)
        if not written:
            existing = await find_current(conn, **owner, key=memory.key, value=memory.value)
    if written:
        await refresh_context_memories(runtime.resources, caller.tenant_id, caller.user_id)
        return JSONResponse(_public(written[0]), status_code=201)
    return JSONResponse(_public(existing), status_code=200)


@router.get("/context")
async def memory_context(runtime: Runtime, caller: Caller) -> dict:
    """What the model sees about the caller on every turn, grouped by category."""
    rows = await load_context_memories(runtime.resources, caller.tenant_id, caller.user_id)
    return {category: [r for r in rows if r["category"] == category] for category in CONTEXT_CATEGORIES}


@router.post("/extract")
async def extract_preview(body: ExtractRequest, runtime: Runtime, caller: Caller) -> dict:
    """The memories a message would produce (rules, and the extraction model if one is set); nothing
    is stored."""
    context = [t.model_dump() for t in body.context] if body.context else None
    return {"memories": await aextract_memories(body.text, context, runtime.resources.extraction_model(),
                                               runtime.resources.clause_model())}


@router.post("/bulk", response_model=MemoryBulkCreated, status_code=201)
async def create_many(body: MemoryBulkCreate, runtime: Runtime, caller: Caller) -> dict:
    """Up to 100 memories, all validated before any is stored, written in one transaction through the
    same consolidation as POST /v1/memories, in order (a later item can supersede an earlier one)."""
    memories = [NewMemory(m.category, m.key, m.value.strip(), m.polarity, m.confidence) for m in body.items]
    vectors = await aembed(runtime.resources.embedder,
                           [render(m.category, m.key, m.value, m.polarity) for m in memories])
    owner = {"tenant_id": caller.tenant_id, "user_id": caller.user_id}
    ids, created = [], 0
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        await ensure_user(conn, **owner)
        for memory, vector in zip(memories, vectors, strict=True):
            written = await save_memories(conn, **owner, memories=[memory], embeddings=[vector])
            row = written[0] if written else await find_current(conn, **owner, key=memory.key, value=memory.value)
            ids.append(str(row["id"]))
            created += len(written)
    if created:
        await refresh_context_memories(runtime.resources, caller.tenant_id, caller.user_id)
    return {"ids": ids, "created": created}


@router.get("/stats", response_model=MemoryStats)
async def stats(runtime: Runtime, caller: Caller) -> dict:
    """Counts by category, current against superseded, corrections, the oldest and newest memory, memories
    by who wrote them, hints and their feedback, and this process's preference-cache hit rate."""
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        counts = await memory_stats(conn, tenant_id=caller.tenant_id, user_id=caller.user_id)
    return {**counts, "cache": cache_counts()}


@router.post("/forget", response_model=MemoriesForgotten)
async def forget_many(body: MemoryForget, runtime: Runtime, caller: Caller) -> dict:
    """Delete memories with their history (the versions each replaced, and the corrections) in one
    transaction; ids that are not the caller's are skipped, not an error (bulk forget from a list that may
    be stale). The messages that stated them stay in their threads but leave search."""
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        forgotten = await forget_with_history(conn, tenant_id=caller.tenant_id, user_id=caller.user_id,
                                              ids=list(dict.fromkeys(body.ids)))
    if forgotten:
        await refresh_context_memories(runtime.resources, caller.tenant_id, caller.user_id)
    return {"forgotten": forgotten}


@router.get("/export", response_model=Export)
async def export(runtime: Runtime, caller: Caller) -> dict:
    """Everything stored about the caller: user, key prefixes, threads, messages, memories with their
    history, corrections, hints and usage (embeddings left out)."""
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        data = await export_user(conn, tenant_id=caller.tenant_id, user_id=caller.user_id)
    out = {key: [jsonable(r) for r in rows] if isinstance(rows, list) else rows and jsonable(rows)
           for key, rows in data.items()}
    return {"exported_at": datetime.now(UTC), **out}


@router.get("/{memory_id}", response_model=Memory)
async def get_one(memory_id: UUID, runtime: Runtime, caller: Caller) -> dict:
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        row = await get_memory(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, memory_id=memory_id)
    if row is None:
        raise ApiError(404, f"memory {memory_id} not found")
    return _public(row)


@router.get("/{memory_id}/history", response_model=MemoryHistory)
async def history(memory_id: UUID, runtime: Runtime, caller: Caller) -> dict:
    """Every version of the memory (from any of them), oldest first, and the corrections between them with
    their reasons."""
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        lineage = await memory_lineage(conn, tenant_id=caller.tenant_id, user_id=caller.user_id,
                                       memory_id=memory_id)
    if lineage is None:
        raise ApiError(404, f"memory {memory_id} not found")
    return {"versions": [_public(row) for row in lineage["versions"]],
            "corrections": [jsonable(row) for row in lineage["corrections"]]}


@router.patch("/{memory_id}", response_model=CorrectedMemory)
async def correct(memory_id: UUID, body: MemoryPatch, runtime: Runtime, caller: Caller) -> dict:
    """Correct a current memory: the old row is closed (kept as history), a new one holds the
    corrected value, and memory_corrections records old and new. The answer is the new memory with
    its `correction` (null when nothing changed)."""
    owner = {"tenant_id": caller.tenant_id, "user_id": caller.user_id}
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        old = await get_memory(conn, **owner, memory_id=memory_id)
    if old is None:
        raise ApiError(404, f"memory {memory_id} not found")
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    category = changes.get("category") or old["category"]
    topic = old["key"].split(".", 1)[-1]
    key = changes.get("key") or (old["key"] if category == old["category"] else f"{category}.{topic}")
    new = NewMemory(category, key, (changes.get("value") or old["value"]).strip(),
                    changes.get("polarity") or old["polarity"], old["confidence"], old["language"])
    [vector] = await aembed(runtime.resources.embedder, [render(new.category, new.key, new.value, new.polarity)])
    try:
        async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
            row = await correct_memory(conn, **owner, memory_id=memory_id, new=new, embedding=vector,
                                       reason=body.reason)
    except NotCurrent as exc:
        raise ApiError(409, f"memory {memory_id} was superseded or expired: correct its current value") from exc
    await refresh_context_memories(runtime.resources, caller.tenant_id, caller.user_id)
    return _public(row)


@router.delete("/{memory_id}", status_code=204, response_class=Response)
async def delete(memory_id: UUID, runtime: Runtime, caller: Caller) -> Response:
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        deleted = await delete_memory(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, memory_id=memory_id)
    if not deleted:
        raise ApiError(404, f"memory {memory_id} not found")
    await refresh_context_memories(runtime.resources, caller.tenant_id, caller.user_id)
    return Response(status_code=204)
