"""Long-term memories: list, create, the context the model sees, and a dry-run extraction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from memory.embeddings import aembed
from memory.extraction import extract_memories
from memory.memories import CONTEXT_CATEGORIES, NewMemory, find_current, list_memories, render, save_memories
from memory.rows import jsonable
from memory.users import ensure_user
from nodes.load_memory import load_context_memories, refresh_context_memories
from server.deps import Caller, Runtime
from server.errors import ApiError
from server.pagination import decode_cursor, encode_cursor
from server.schemas import ExtractRequest, MemoryCreate, Page

router = APIRouter(prefix="/v1/memories", tags=["memories"])


def _public(row: dict) -> dict:
    return jsonable({k: v for k, v in row.items() if k not in ("action", "supersedes")})


@router.get("", response_model=Page)
async def get_memories(
    runtime: Runtime, caller: Caller, category: str | None = None, include_superseded: bool = False,
    cursor: str | None = None, limit: int = Query(default=50, ge=1, le=200),
) -> dict:
    before = decode_cursor(cursor)
    try:
        before = (datetime.fromisoformat(before[0]), UUID(before[1])) if before else None
    except (TypeError, ValueError, IndexError) as exc:
        raise ApiError(400, "invalid cursor") from exc
    async with runtime.resources.pool.connection() as conn:
        rows = await list_memories(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, category=category,
                                   include_superseded=include_superseded, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])]) if more else None
    return {"items": [_public(r) for r in rows], "next_cursor": next_cursor}


@router.post("", status_code=201)
async def create_memory(body: MemoryCreate, runtime: Runtime, caller: Caller) -> JSONResponse:
    """Store one memory through the same consolidation as extraction; a restatement answers 200 with
    the memory already stored."""
    memory = NewMemory(body.category, body.key, body.value.strip(), body.polarity, body.confidence)
    vectors = await aembed(runtime.resources.embedder,
                           [render(memory.category, memory.key, memory.value, memory.polarity)])
    owner = {"tenant_id": caller.tenant_id, "user_id": caller.user_id}
    async with runtime.resources.pool.connection() as conn, conn.transaction():
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
async def extract_preview(body: ExtractRequest, caller: Caller) -> dict:
    """The memories a message would produce; nothing is stored."""
    context = [t.model_dump() for t in body.context] if body.context else None
    return {"memories": extract_memories(body.text, context)}
