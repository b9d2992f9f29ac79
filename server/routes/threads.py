"""Threads: import past conversations, read a thread's messages."""

from __future__ import annotations

from fastapi import APIRouter, Query

from memory.embeddings import aembed
from memory.extraction import extract_memories
from memory.imports import ImportedMessage, import_thread
from memory.memories import NewMemory, render
from memory.rows import jsonable
from memory.threads import get_thread, list_messages
from nodes.load_memory import refresh_context_memories
from server.deps import Caller, Runtime
from server.errors import ApiError
from server.pagination import decode_cursor, encode_cursor
from server.schemas import ImportRequest, ImportResponse, Page

router = APIRouter(prefix="/v1/threads", tags=["threads"])


@router.post("/import", response_model=ImportResponse, status_code=201)
async def import_conversation(body: ImportRequest, runtime: Runtime, caller: Caller) -> dict:
    settings = runtime.resources.settings
    if len(body.messages) > settings.max_import_messages:
        raise ApiError(413, f"{len(body.messages)} messages; at most {settings.max_import_messages} per import")
    if any(len(m.content) > settings.max_message_chars for m in body.messages):
        raise ApiError(413, f"a message is longer than {settings.max_message_chars} characters")
    messages = [ImportedMessage(m.role, m.content, m.created_at, m.metadata) for m in body.messages]
    memories: list[tuple[int, NewMemory]] = []
    if body.extract:
        for i, message in enumerate(messages):
            if message.role == "user":
                memories += [(i, NewMemory(c["category"], c["key"], c["value"], c["polarity"], c["confidence"],
                                           c["language"])) for c in extract_memories(message.content)]
    embedder = runtime.resources.embedder
    vectors = await aembed(embedder, [m.content for m in messages])
    memory_vectors = await aembed(embedder, [render(m.category, m.key, m.value, m.polarity) for _, m in memories])
    async with runtime.resources.pool.connection() as conn:
        thread_id = await import_thread(
            conn, tenant_id=caller.tenant_id, user_id=caller.user_id, title=body.title, messages=messages,
            embeddings=vectors, memories=memories, memory_embeddings=memory_vectors,
        )
    if memories:
        await refresh_context_memories(runtime.resources, caller.tenant_id, caller.user_id)
    return {"thread_id": thread_id, "imported": len(messages)}


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
