"""OpenAI-compatible chat: POST /v1/chat/completions and GET /v1/models.

Any OpenAI client or chat UI (the `openai` SDK, Open WebUI, LibreChat) can use Mnemo as a model with
memory. The OpenAI API key is a Mnemo key (`Authorization: Bearer`), so tenant and user are decided as
everywhere else. Each request is one turn through the same graph, lock and detached task as POST
/v1/chat: the request's **last user message** is the turn; the earlier messages a client resends are
not replayed, since the thread's stored history is what the model sees.

The thread: `metadata.thread_id`, or the `X-Mnemo-Thread-Id` header (the caller's thread of that id, or
a new one by that id), or else the user's thread whose
last answer is the assistant message just before the turn (a chat UI resending its conversation goes
on in the same thread), or else a new one. The answer names it in the `X-Mnemo-Thread-Id` header and
in its `mnemo` field (with what was learned, forgotten and hinted). Models: `mnemo` (the route node
picks the agent) and `mnemo-<agent>`. Streaming sends OpenAI's `chat.completion.chunk` events, then a
usage chunk (unless `stream_options.include_usage` is false), then `[DONE]`. Errors take OpenAI's shape
(server/errors.py). An `Idempotency-Key` header works as on POST /v1/chat: a retry gets the first answer.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse

from memory.db import tenant_connection
from memory.idempotency import ClaimLost, KeyRef
from nodes.agents import AGENTS
from server.deps import Caller, Runtime
from server.errors import ApiError, openai_error_body
from server.idempotency import REPLAYED, IdempotencyKey, claim_request, released_on_failure
from server.routes.chat import TAKEN_OVER, start_turn, stream_error
from server.schemas import ThreadId

router = APIRouter(prefix="/v1", tags=["openai"])

MODEL = "mnemo"
THREAD_HEADER = "X-Mnemo-Thread-Id"
THREAD_OWNER_SQL = "SELECT user_id FROM threads WHERE id = %s"  # within the caller's tenant (row-level security)
RECENT_THREADS = 100  # the user's most recently updated threads searched for a resent conversation
# The user's recent thread whose newest message is this assistant answer: the conversation a client resends.
CONTINUED_THREAD_SQL = """
SELECT t.id FROM threads t
CROSS JOIN LATERAL (SELECT m.role, m.content FROM messages m WHERE m.thread_id = t.id ORDER BY m.seq DESC LIMIT 1) last
WHERE t.id IN (SELECT id FROM threads WHERE tenant_id = %(tenant)s AND user_id = %(user)s
               ORDER BY updated_at DESC LIMIT %(recent)s)
  AND last.role = 'assistant' AND last.content = %(answer)s
ORDER BY t.updated_at DESC LIMIT 1"""


def model_ids() -> list[str]:
    return [MODEL, *(f"{MODEL}-{agent}" for agent in AGENTS)]


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ...: accepted, not used
    role: str
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content if part.type == "text" and part.text)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = True


class CompletionRequest(BaseModel):
    """OpenAI's request; sampling fields (temperature, max_tokens, ...) are accepted and the agent's own
    settings apply."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(description=f"`{MODEL}` (the agent is chosen per turn) or `{MODEL}-<agent>`")
    messages: list[OpenAIMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    metadata: dict[str, Any] | None = Field(default=None, description="`thread_id`: the Mnemo thread to continue")


def _agent(model: str) -> str | None:
    if model == MODEL:
        return None
    agent = model.removeprefix(f"{MODEL}-")
    if model.startswith(f"{MODEL}-") and agent in AGENTS:
        return agent
    raise ApiError(404, f"The model '{model}' does not exist; use one of: {', '.join(model_ids())}",
                   code="model_not_found")


def _turn_message(messages: list[OpenAIMessage]) -> tuple[str, str | None]:
    """(the last user message, the assistant message just before it, if any)."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "user":
            text = messages[i].text()
            if not text.strip():
                raise ApiError(400, "the last user message is empty", code="invalid_request")
            earlier = [m for m in messages[:i] if m.role == "assistant"]
            return text, (earlier[-1].text() if earlier else None)
    raise ApiError(400, "messages hold no user message: the last user message is the turn", code="invalid_request")


async def _thread(runtime: Runtime, caller: Caller, requested: str | None, previous_answer: str | None) -> str:
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        if requested is not None:  # the caller's thread, or a new one of that id (a chat UI's conversation id)
            owner = await (await conn.execute(THREAD_OWNER_SQL, (requested,))).fetchone()
            if owner is not None and owner["user_id"] != caller.user_id:
                raise ApiError(404, f"thread {requested} not found")
            return requested
        if previous_answer:
            row = await (await conn.execute(CONTINUED_THREAD_SQL, {
                "tenant": caller.tenant_id, "user": caller.user_id, "recent": RECENT_THREADS,
                "answer": previous_answer})).fetchone()
            if row is not None:
                return row["id"]
    return str(uuid.uuid4())


class _RequestedThread(BaseModel):
    """The same rule for a thread id as POST /v1/chat's (server.schemas.ThreadId)."""

    thread_id: str | None = ThreadId


def _requested_thread(body: CompletionRequest, header: str | None) -> str | None:
    value = (body.metadata or {}).get("thread_id") or header
    if value is None:
        return None
    try:
        return _RequestedThread(thread_id=str(value)).thread_id
    except ValueError:
        raise ApiError(400, "metadata.thread_id: 1-100 characters of letters, digits and ._:-",
                       code="invalid_request") from None


def _usage(answer: dict[str, Any]) -> dict[str, int]:
    prompt, completion = answer["usage"]["input_tokens"], answer["usage"]["output_tokens"]
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _mnemo(answer: dict[str, Any]) -> dict[str, Any]:
    """Mnemo's part of the answer (OpenAI clients ignore fields they do not know)."""
    return {key: answer.get(key, []) for key in ("thread_id", "message_id", "agent", "memories", "forgotten", "hints")}


def _completion(answer: dict[str, Any], *, completion_id: str, model: str) -> dict[str, Any]:
    """A chat.completion from the turn's public answer (POST /v1/chat's, also what an Idempotency-Key keeps)."""
    return {
        "id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer["reply"]},
                     "finish_reason": "stop", "logprobs": None}],
        "usage": _usage(answer), "mnemo": _mnemo(answer),
    }


@router.get("/models")
async def list_models(caller: Caller) -> dict:
    """The models an OpenAI client may name: Mnemo choosing the agent, or one agent."""
    return {"object": "list",
            "data": [{"id": name, "object": "model", "created": 0, "owned_by": "mnemo"} for name in model_ids()]}


@router.post("/chat/completions", responses={
    200: {"description": "chat.completion, or with stream=true server-sent chat.completion.chunk events",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}},
})
async def chat_completions(body: CompletionRequest, runtime: Runtime, caller: Caller, response: Response,
                           x_mnemo_thread_id: str | None = Header(default=None),
                           idempotency_key: IdempotencyKey = None):
    agent = _agent(body.model)
    message, previous_answer = _turn_message(body.messages)
    limit = runtime.resources.settings.max_message_chars
    if len(message) > limit:
        raise ApiError(413, f"the last user message is {len(message)} characters; the limit is {limit}")
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    include_usage = body.stream_options.include_usage if body.stream_options else True
    ref: KeyRef | None = None
    if idempotency_key is not None:  # a retry gets the first answer, never a second turn
        claim = await claim_request(runtime, caller, idempotency_key, endpoint="chat.completions",
                                    body=body.model_dump(mode="json", exclude={"stream", "stream_options"}))
        if claim.outcome == "replay":
            return _replay(claim.response, body, completion_id=completion_id, include_usage=include_usage)
        ref = claim.ref
    async with released_on_failure(runtime, ref):
        thread_id = await _thread(runtime, caller, _requested_thread(body, x_mnemo_thread_id), previous_answer)
    task, events = await start_turn(runtime, caller, message=message, thread_id=thread_id, agent=agent,
                                    ref=ref, stream=body.stream)
    headers = {THREAD_HEADER: thread_id}
    if events is not None:
        chunks = _chunks(events, completion_id=completion_id, model=body.model, include_usage=include_usage)
        return EventSourceResponse(chunks, headers=headers)
    try:
        result = await asyncio.shield(task)  # a disconnect cancels this wait, not the turn
    except ClaimLost as exc:
        raise ApiError(409, TAKEN_OVER) from exc
    response.headers.update(headers)
    return _completion(result.public(), completion_id=completion_id, model=body.model)


def _replay(stored: dict[str, Any], body: CompletionRequest, *, completion_id: str, include_usage: bool):
    """The first answer again, as a completion or as a stream (the whole reply in one chunk)."""
    headers = {**REPLAYED, THREAD_HEADER: stored["thread_id"]}
    if not body.stream:
        return JSONResponse(_completion(stored, completion_id=completion_id, model=body.model), headers=headers)

    async def replayed() -> AsyncIterator[dict]:
        chunk = _chunker(completion_id, body.model)
        yield chunk({"role": "assistant", "content": ""})
        yield chunk({"content": stored["reply"]})
        for event in _ending(chunk, stored, completion_id, body.model, include_usage):
            yield event

    return EventSourceResponse(replayed(), headers=headers)


def _chunker(completion_id: str, model: str):
    created = int(time.time())

    def chunk(delta: dict, finish: Literal["stop"] | None = None, **extra: Any) -> dict:
        return {"data": json.dumps({
            "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra})}

    return chunk


def _ending(chunk, answer: dict[str, Any], completion_id: str, model: str, include_usage: bool) -> list[dict]:
    """The stop chunk (with Mnemo's part), the usage chunk when asked for, then [DONE]."""
    events = [chunk({}, "stop", mnemo=_mnemo(answer))]
    if include_usage:
        events.append({"data": json.dumps({"id": completion_id, "object": "chat.completion.chunk",
                                           "created": int(time.time()), "model": model, "choices": [],
                                           "usage": _usage(answer)})})
    return [*events, {"data": "[DONE]"}]


async def _chunks(events: asyncio.Queue, *, completion_id: str, model: str,
                  include_usage: bool) -> AsyncIterator[dict]:
    chunk = _chunker(completion_id, model)
    yield chunk({"role": "assistant", "content": ""})
    while True:
        item = await events.get()
        if isinstance(item, BaseException):
            error = stream_error(item)["error"]
            yield {"data": json.dumps(openai_error_body(500 if error["code"] == "internal_error" else 503,
                                                        error["code"], error["message"]))}
            return
        if item.kind == "token":
            yield chunk({"content": item.token})
            continue
        for event in _ending(chunk, item.result.public(), completion_id, model, include_usage):
            yield event
        return
