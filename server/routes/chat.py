"""POST /v1/chat: one turn of the graph, answered as JSON or streamed as server-sent events.

A turn survives its client: once started it runs in a task the runtime holds (`core.tasks`), so
a disconnect mid-stream never leaves it half-written; it completes and is persisted (or, on a failure,
leaves nothing: persist is the last node and writes in one transaction), and the client reads it back
from GET /v1/threads/{id}/messages. One turn at a time per thread (`server.turn_lock`): a second one
gets 409 with Retry-After. An `Idempotency-Key` makes a retry answer the first result (`server.idempotency`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from graphs.runner import TurnEvent, TurnResult, stream_turn
from memory.db import tenant_connection
from memory.idempotency import ClaimLost, KeyRef
from memory.last_turn import record_last_turn
from memory.threads import ThreadMoved, ThreadNotFound
from memory.users import Principal
from models.chat import AllModelsFailed
from server.deps import Caller, Runtime, owned_thread
from server.errors import DATABASE_DOWN, DATABASE_ERRORS, RETRY_UNAVAILABLE, ApiError, ErrorBody, error_body
from server.idempotency import (
    DESCRIPTION,
    REPLAYED,
    IdempotencyKey,
    claim_request,
    release_request,
    released_on_failure,
    renewed,
    retry_later,
)
from server.runtime import AppRuntime
from server.schemas import ChatRequest, ChatResponse
from server.turn_lock import HeldTurnLock, ThreadBusy

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["chat"])

# One server-sent event of the stream, as OpenAPI (and schemathesis) read an event stream's schema.
SSE_EVENT = {"type": "object", "required": ["event", "data"], "properties": {
    "event": {"type": "string", "enum": ["token", "hint", "memory", "forget", "done", "error"]},
    "data": {"type": "string", "description": "JSON: token {text}; one hint; one memory learned; forget: one memory "
                                              "deleted on request; done: the whole answer "
                                              "(as the JSON answer); error {error: {code, message}}"},
}}
TIMED_OUT = "the turn ran longer than {seconds:g} s and was stopped; nothing of it was stored: send it again"
TAKEN_OVER = "this Idempotency-Key's request was taken over by a retry; that retry's answer stands"


async def _thread_for(body: ChatRequest, runtime: Runtime, caller: Caller) -> str:
    """The caller's existing thread (404 for an unknown one, or someone else's), or a new id."""
    if body.thread_id is None:
        return str(uuid.uuid4())
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        await owned_thread(conn, caller, body.thread_id)
    return body.thread_id


@router.post("/chat", response_model=ChatResponse, description=DESCRIPTION, responses={
    200: {"description": "JSON answer, or with stream=true an SSE stream of token, hint, memory, forget, done events",
          "content": {"text/event-stream": {"schema": SSE_EVENT}}},
    409: {"model": ErrorBody, "description": "another turn is running on this thread, or this Idempotency-Key's "
                                             "request still runs; retry after Retry-After seconds"},
})
async def chat(body: ChatRequest, runtime: Runtime, caller: Caller, idempotency_key: IdempotencyKey = None):
    limit = runtime.resources.settings.max_message_chars
    if len(body.message) > limit:
        raise ApiError(413, f"message is {len(body.message)} characters; the limit is {limit}")
    thread_id = await _thread_for(body, runtime, caller)
    ref: KeyRef | None = None
    if idempotency_key is not None:
        # `stream` is left out of the body's hash: a retry may ask for JSON what it first streamed.
        claim = await claim_request(runtime, caller, idempotency_key, endpoint="chat",
                                    body=body.model_dump(mode="json", exclude={"stream"}))
        if claim.outcome == "replay":
            return _replay(claim.response, stream=body.stream)
        ref = claim.ref
    task, events = await start_turn(runtime, caller, message=body.message, thread_id=thread_id, agent=body.agent,
                                    ref=ref, stream=body.stream)
    if events is not None:
        return EventSourceResponse(_stream(events))
    try:
        return (await asyncio.shield(task)).public()  # a disconnect cancels this wait, not the turn
    except ClaimLost as exc:
        raise ApiError(409, TAKEN_OVER) from exc


async def start_turn(
    runtime: AppRuntime, caller: Principal, *, message: str, thread_id: str, agent: str | None,
    ref: KeyRef | None = None, stream: bool = False,
) -> tuple[asyncio.Task[TurnResult], asyncio.Queue[TurnEvent | BaseException] | None]:
    """Take the thread's turn lock (409 with Retry-After when another turn runs on it) and start the turn
    in a task of the runtime, apart from the request; with `stream`, a queue of its events (tokens, then
    `done`, or the exception that ended it). Shared by POST /v1/chat and the OpenAI-compatible route."""
    async with released_on_failure(runtime, ref):
        try:
            held = await runtime.locks.acquire(thread_id)
        except ThreadBusy as exc:
            raise retry_later(str(exc)) from exc
    turn = {"message": message, "thread_id": thread_id, "tenant_id": caller.tenant_id,
            "user_id": caller.user_id, "agent": agent, "idempotency": ref.config() if ref else None}
    events: asyncio.Queue[TurnEvent | BaseException] | None = asyncio.Queue() if stream else None
    task = runtime.turns.start(_detached(runtime, turn, held, ref, events), name=f"turn {thread_id}")
    return task, events


async def _detached(
    runtime: AppRuntime, turn: dict[str, Any], held: HeldTurnLock, ref: KeyRef | None,
    events: asyncio.Queue | None,
) -> TurnResult:
    """The whole turn under its thread's lock, whatever happens to the request; events for a stream. A turn
    past `turn_timeout_seconds` is cancelled (503): nothing of it is stored."""
    timeout = runtime.resources.settings.turn_timeout_seconds
    try:
        async with held, renewed(runtime, ref):
            result: TurnResult | None = None
            try:
                async with asyncio.timeout(timeout):
                    async for event in stream_turn(runtime.graph, **turn):
                        if event.kind == "done":
                            result = event.result
                            await record_last_turn(runtime.resources.redis, tenant_id=turn["tenant_id"],
                                                   user_id=turn["user_id"], thread_id=result.thread_id,
                                                   agent=result.agent, trace=result.trace)
                        if events is not None:
                            events.put_nowait(event)
            except TimeoutError as exc:
                raise ApiError(503, TIMED_OUT.format(seconds=timeout), headers=RETRY_UNAVAILABLE) from exc
        if result is None:
            raise RuntimeError("the turn ended without a result")
        return result
    except BaseException as exc:
        if not isinstance(exc, (ThreadNotFound, ThreadMoved, ClaimLost, asyncio.CancelledError, AllModelsFailed,
                                ApiError)):
            log.error("turn failed on thread %s", turn["thread_id"], exc_info=exc)
        if ref is not None:  # nothing was committed: the client's retry may run it again
            await release_request(runtime, ref)
        if events is not None:
            events.put_nowait(exc)
        raise


async def _stream(events: asyncio.Queue) -> AsyncIterator[dict]:
    """token* then hint*, memory* and forget*, then done; an `error` event if the turn fails midway (nothing of
    it is stored). A client leaving stops this generator only; the turn goes on."""
    while True:
        item = await events.get()
        if isinstance(item, BaseException):
            yield {"event": "error", "data": json.dumps(stream_error(item))}
            return
        if item.kind == "token":
            yield {"event": "token", "data": json.dumps({"text": item.token})}
            continue
        for event in _result_events(_answer(item.result.public())):
            yield event
        return


def stream_error(exc: BaseException) -> dict:
    """The error event of a stream that failed midway, as {error: {code, message}}."""
    if isinstance(exc, ClaimLost):
        return error_body("conflict", TAKEN_OVER)
    if isinstance(exc, ThreadNotFound):
        return error_body("not_found", "thread not found")
    if isinstance(exc, ThreadMoved):
        return error_body("conflict", str(exc))
    if isinstance(exc, asyncio.CancelledError):
        return error_body("unavailable", "the server is shutting down; nothing of this turn was stored")
    if isinstance(exc, AllModelsFailed):
        return error_body("unavailable", exc.summary())
    if isinstance(exc, DATABASE_ERRORS):
        return error_body("unavailable", DATABASE_DOWN)
    if isinstance(exc, ApiError):
        return error_body(exc.code, exc.message)
    return error_body("internal_error", "the turn failed")


def _result_events(answer: dict[str, Any]) -> list[dict]:
    events = [{"event": "hint", "data": json.dumps(hint)} for hint in answer["hints"]]
    events += [{"event": "memory", "data": json.dumps(memory, default=str)} for memory in answer["memories"]]
    events += [{"event": "forget", "data": json.dumps(memory, default=str)} for memory in answer.get("forgotten", [])]
    events.append({"event": "done", "data": json.dumps(answer, default=str)})
    return events


def _answer(data: dict[str, Any]) -> dict[str, Any]:
    """As the JSON answer serialises it, so a stream's `done` and a replay read the same."""
    return ChatResponse.model_validate(data).model_dump(mode="json")


def _replay(stored: dict[str, Any], *, stream: bool):
    """The first answer again, as JSON or as a stream (the whole reply in one token event)."""
    answer = _answer(stored)
    if not stream:
        return JSONResponse(answer, headers=REPLAYED)

    async def replayed() -> AsyncIterator[dict]:
        yield {"event": "token", "data": json.dumps({"text": answer["reply"]})}
        for event in _result_events(answer):
            yield event

    return EventSourceResponse(replayed(), headers=REPLAYED)
