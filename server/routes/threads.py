"""Threads: list, create, get, delete, import past conversations, read a thread's messages and its
checkpoint history, rename, star or archive one or many.

Archiving consolidates the thread into long-term memories once: every user message the pipeline has
not run on (an import without extraction, a turn whose background job has not run) is extracted, in
order, and the thread is marked; archiving it again writes nothing."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from memory.cache import refresh_context_memories
from memory.consolidation import consolidate_thread, extract_messages, unextracted_messages
from memory.db import tenant_connection
from memory.embeddings import aembed
from memory.erase import delete_thread
from memory.history import list_checkpoints
from memory.idempotency import complete_key
from memory.imports import ImportedMessage, import_thread
from memory.rows import jsonable
from memory.threads import (
    archive_threads,
    create_thread,
    get_thread,
    list_messages,
    list_threads,
    owned_thread_ids,
    update_thread,
)
from memory.users import ensure_user
from server.deps import Caller, Runtime, owned_thread
from server.errors import ApiError
from server.idempotency import DESCRIPTION as IDEMPOTENCY
from server.idempotency import REPLAYED, IdempotencyKey, claim_request, released_on_failure, store_answer
from server.pagination import INVALID, decode_cursor, decode_keyset, decode_seq, encode_cursor
from server.schemas import (
    ArchiveResponse,
    CheckpointPage,
    ImportRequest,
    ImportResponse,
    MessagePage,
    Thread,
    ThreadArchive,
    ThreadCreate,
    ThreadPage,
    ThreadPatch,
    ThreadPatched,
)

router = APIRouter(prefix="/v1/threads", tags=["threads"])


def _consolidation(written: int | None) -> dict:
    """What `consolidate_thread` did, as answered: None from it means the thread was consolidated before."""
    return {"already_consolidated": written is None, "memories_written": written or 0}


@router.post("/import", response_model=ImportResponse, status_code=201, description=IDEMPOTENCY)
async def import_conversation(
    body: ImportRequest, runtime: Runtime, caller: Caller, idempotency_key: IdempotencyKey = None,
):
    settings = runtime.resources.settings
    if len(body.messages) > settings.max_import_messages:
        raise ApiError(413, f"{len(body.messages)} messages; at most {settings.max_import_messages} per import")
    if any(len(m.content) > settings.max_message_chars for m in body.messages):
        raise ApiError(413, f"a message is longer than {settings.max_message_chars} characters")
    ref = None
    if idempotency_key is not None:
        claim = await claim_request(runtime, caller, idempotency_key, endpoint="import",
                                    body=body.model_dump(mode="json"))
        if claim.outcome == "replay":
            return JSONResponse(claim.response, status_code=201, headers=REPLAYED)
        ref = claim.ref
    async with released_on_failure(runtime, ref):
        messages = [ImportedMessage(m.role, m.content, m.created_at, m.metadata) for m in body.messages]
        vectors = await aembed(runtime.resources.embedder, [m.content for m in messages])
        async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
            thread_id = await import_thread(
                conn, tenant_id=caller.tenant_id, user_id=caller.user_id, title=body.title, messages=messages,
                embeddings=vectors,
            )
            answer = {"thread_id": thread_id, "imported": len(messages), "remembered": 0}
            if ref is not None:  # committed with the import: a retry gets this thread, never a second one
                await complete_key(conn, ref, answer)
            pending = await unextracted_messages(conn, thread_id) if body.extract else []
    # Message by message, in order, as if the turns had happened: a move supersedes the old city.
    answer["remembered"] = await extract_messages(runtime.resources, pending, caller.tenant_id)
    if ref is not None and answer["remembered"]:
        await store_answer(runtime, ref, answer)
    return answer


@router.get("/{thread_id}/messages", response_model=MessagePage)
async def thread_messages(
    thread_id: str, runtime: Runtime, caller: Caller, cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
    order: Literal["asc", "desc"] = Query(default="asc", description="asc: oldest first; desc: newest first "
                                                                      "(a chat view's latest page, then older ones)"),
) -> dict:
    position = decode_seq(cursor)
    newest_first = order == "desc"
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        await owned_thread(conn, caller, thread_id)
        rows = await list_messages(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, thread_id=thread_id,
                                   after_seq=position, limit=limit + 1, newest_first=newest_first,
                                   before_seq=position if newest_first and cursor else None)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [jsonable(r) for r in rows], "next_cursor": encode_cursor(rows[-1]["seq"]) if more else None}


@router.patch("/{thread_id}", response_model=ThreadPatched)
async def patch_thread(thread_id: str, body: ThreadPatch, runtime: Runtime, caller: Caller) -> dict:
    owner = {"tenant_id": caller.tenant_id, "user_id": caller.user_id}
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        thread = await update_thread(conn, **owner, thread_id=thread_id, **body.model_dump(exclude_unset=True))
    if thread is None:
        raise ApiError(404, f"thread {thread_id} not found")
    consolidation = None
    if body.archived:
        consolidation = _consolidation(await consolidate_thread(runtime.resources, **owner, thread_id=thread_id))
        async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
            thread = await get_thread(conn, **owner, thread_id=thread_id)
    return {**jsonable(thread), "consolidation": consolidation}


@router.get("", response_model=ThreadPage)
async def get_threads(
    runtime: Runtime, caller: Caller, archived: bool | None = None, starred: bool | None = None,
    cursor: str | None = None, limit: int = Query(default=50, ge=1, le=200),
) -> dict:
    """The caller's threads, most recently active first; `archived` and `starred` filter."""
    before = decode_keyset(cursor)
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        rows = await list_threads(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, archived=archived,
                                  starred=starred, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1]["updated_at"].isoformat(), rows[-1]["id"]]) if more else None
    return {"items": [jsonable(r) for r in rows], "next_cursor": next_cursor}


@router.post("", response_model=Thread, status_code=201)
async def new_thread(body: ThreadCreate, runtime: Runtime, caller: Caller) -> dict:
    """An empty thread; pass its id as `thread_id` to POST /v1/chat."""
    owner = {"tenant_id": caller.tenant_id, "user_id": caller.user_id}
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        await ensure_user(conn, **owner)
        row = await create_thread(conn, **owner, thread_id=str(uuid.uuid4()), title=body.title,
                                  metadata=body.metadata)
    return jsonable(row)


@router.post("/archive", response_model=ArchiveResponse)
async def archive_many(body: ThreadArchive, runtime: Runtime, caller: Caller) -> dict:
    """Archive up to 100 threads; each is consolidated into memories once, as PATCH archived=true does.
    All ids are checked first: one that is not the caller's answers 404 and nothing is archived."""
    owner = {"tenant_id": caller.tenant_id, "user_id": caller.user_id}
    thread_ids = list(dict.fromkeys(body.thread_ids))
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        owned = await owned_thread_ids(conn, **owner, thread_ids=thread_ids)
        missing = [t for t in thread_ids if t not in owned]
        if missing:
            raise ApiError(404, f"threads not found: {', '.join(missing[:10])}")
        await archive_threads(conn, **owner, thread_ids=thread_ids)
    items = []
    for thread_id in thread_ids:
        written = await consolidate_thread(runtime.resources, **owner, thread_id=thread_id)
        items.append({"thread_id": thread_id, "consolidation": _consolidation(written)})
    return {"items": items}


@router.get("/{thread_id}", response_model=Thread)
async def get_one_thread(thread_id: str, runtime: Runtime, caller: Caller) -> dict:
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        return jsonable(await owned_thread(conn, caller, thread_id))


@router.delete("/{thread_id}", status_code=204, response_class=Response)
async def delete_one_thread(thread_id: str, runtime: Runtime, caller: Caller) -> Response:
    """The thread, its messages, hints, checkpoints and queued jobs go; memories learned from it stay,
    their thread and source message cleared."""
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        deleted = await delete_thread(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, thread_id=thread_id)
    if not deleted:
        raise ApiError(404, f"thread {thread_id} not found")
    await refresh_context_memories(runtime.resources, caller.tenant_id, caller.user_id)
    return Response(status_code=204)


@router.get("/{thread_id}/history", response_model=CheckpointPage)
async def thread_history(
    thread_id: str, runtime: Runtime, caller: Caller, cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> dict:
    """The thread's LangGraph checkpoints (one per turn), newest first."""
    before = decode_cursor(cursor)
    if before is not None and not isinstance(before, str):
        raise ApiError(400, INVALID)
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        await owned_thread(conn, caller, thread_id)
    rows = await list_checkpoints(runtime.resources.checkpointer, thread_id, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1]["id"]) if more else None}
