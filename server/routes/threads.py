"""Threads: import past conversations, read a thread's messages, rename, star or archive one.

Archiving consolidates the thread into long-term memories once: every user message the pipeline has
not run on (an import without extraction, a turn whose background job has not run) is extracted, in
order, and the thread is marked; archiving it again writes nothing."""

from __future__ import annotations

from fastapi import APIRouter, Query

from graphs.consolidation import consolidate_thread, extract_messages, unextracted_messages
from memory.embeddings import aembed
from memory.imports import ImportedMessage, import_thread
from memory.rows import jsonable
from memory.threads import get_thread, list_messages, update_thread
from server.deps import Caller, Runtime
from server.errors import ApiError
from server.pagination import decode_cursor, encode_cursor
from server.schemas import ImportRequest, ImportResponse, Page, ThreadPatch

router = APIRouter(prefix="/v1/threads", tags=["threads"])


@router.post("/import", response_model=ImportResponse, status_code=201)
async def import_conversation(body: ImportRequest, runtime: Runtime, caller: Caller) -> dict:
    settings = runtime.resources.settings
    if len(body.messages) > settings.max_import_messages:
        raise ApiError(413, f"{len(body.messages)} messages; at most {settings.max_import_messages} per import")
    if any(len(m.content) > settings.max_message_chars for m in body.messages):
        raise ApiError(413, f"a message is longer than {settings.max_message_chars} characters")
    messages = [ImportedMessage(m.role, m.content, m.created_at, m.metadata) for m in body.messages]
    vectors = await aembed(runtime.resources.embedder, [m.content for m in messages])
    async with runtime.resources.pool.connection() as conn:
        thread_id = await import_thread(
            conn, tenant_id=caller.tenant_id, user_id=caller.user_id, title=body.title, messages=messages,
            embeddings=vectors,
        )
        pending = await unextracted_messages(conn, thread_id) if body.extract else []
    # Message by message, in order, as if the turns had happened: a move supersedes the old city.
    remembered = await extract_messages(runtime.resources, pending)
    return {"thread_id": thread_id, "imported": len(messages), "remembered": remembered}


@router.get("/{thread_id}/messages", response_model=Page)
async def thread_messages(
    thread_id: str, runtime: Runtime, caller: Caller, cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> dict:
    after = decode_cursor(cursor) or 0
    if not isinstance(after, int):
        raise ApiError(400, "invalid cursor")
    async with runtime.resources.pool.connection() as conn:
        owner = {"tenant_id": caller.tenant_id, "user_id": caller.user_id}
        if await get_thread(conn, **owner, thread_id=thread_id) is None:
            raise ApiError(404, f"thread {thread_id} not found")
        rows = await list_messages(conn, **owner, thread_id=thread_id, after_seq=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [jsonable(r) for r in rows], "next_cursor": encode_cursor(rows[-1]["seq"]) if more else None}


@router.patch("/{thread_id}")
async def patch_thread(thread_id: str, body: ThreadPatch, runtime: Runtime, caller: Caller) -> dict:
    owner = {"tenant_id": caller.tenant_id, "user_id": caller.user_id}
    async with runtime.resources.pool.connection() as conn:
        thread = await update_thread(conn, **owner, thread_id=thread_id, **body.model_dump(exclude_unset=True))
    if thread is None:
        raise ApiError(404, f"thread {thread_id} not found")
    consolidation = None
    if body.archived:
        written = await consolidate_thread(runtime.resources, **owner, thread_id=thread_id)
        consolidation = {"already_consolidated": written is None, "memories_written": written or 0}
        async with runtime.resources.pool.connection() as conn:
            thread = await get_thread(conn, **owner, thread_id=thread_id)
    return {**jsonable(thread), "consolidation": consolidation}
