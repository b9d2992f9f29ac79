"""POST /v1/chat: one turn of the graph, answered as JSON or streamed as server-sent events."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter
from sse_starlette import EventSourceResponse

from graphs.runner import run_turn, stream_turn
from memory.threads import get_thread
from server.deps import Caller, Runtime
from server.errors import ApiError, error_body
from server.schemas import ChatRequest, ChatResponse

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["chat"])


async def _thread_for(body: ChatRequest, runtime: Runtime, caller: Caller) -> str:
    """The caller's existing thread (404 for an unknown one, or someone else's), or a new id."""
    if body.thread_id is None:
        return str(uuid.uuid4())
    async with runtime.resources.pool.connection() as conn:
        thread = await get_thread(conn, tenant_id=caller.tenant_id, user_id=caller.user_id,
                                  thread_id=body.thread_id)
    if thread is None:
        raise ApiError(404, f"thread {body.thread_id} not found")
    return body.thread_id


@router.post("/chat", response_model=ChatResponse, responses={
    200: {"description": "JSON answer, or with stream=true an SSE stream of token, hint, memory, done events"}})
async def chat(body: ChatRequest, runtime: Runtime, caller: Caller):
    limit = runtime.resources.settings.max_message_chars
    if len(body.message) > limit:
        raise ApiError(413, f"message is {len(body.message)} characters; the limit is {limit}")
    thread_id = await _thread_for(body, runtime, caller)
    turn = {"message": body.message, "thread_id": thread_id, "tenant_id": caller.tenant_id,
            "user_id": caller.user_id, "agent": body.agent}
    if not body.stream:
        return (await run_turn(runtime.graph, **turn)).public()
    return EventSourceResponse(_events(runtime, turn))


async def _events(runtime: Runtime, turn: dict) -> AsyncIterator[dict]:
    """token* then hint* and memory* then done; an `error` event if the turn fails midway (nothing of
    it is stored: persist is the last node and writes in one transaction)."""
    try:
        async for event in stream_turn(runtime.graph, **turn):
            if event.kind == "token":
                yield {"event": "token", "data": json.dumps({"text": event.token})}
                continue
            result = event.result.public()
            for hint in result["hints"]:
                yield {"event": "hint", "data": json.dumps(hint)}
            for memory in result["memories"]:
                yield {"event": "memory", "data": json.dumps(memory, default=str)}
            yield {"event": "done", "data": json.dumps(result, default=str)}
    except Exception:
        log.exception("streamed turn failed on thread %s", turn["thread_id"])
        yield {"event": "error", "data": json.dumps(error_body("internal_error", "the turn failed"))}
