"""persist: the turn's messages, memories (forgotten, then consolidated), hints and usage in one
transaction, then the Redis preference entry refreshed from what was just committed (write-through).
The reply is stored without its vector, embedded after the turn (memory.message_vectors).
The checkpoint itself is written by the checkpointer, after this commit; the messages are stored with
their checkpoint ids, so the next turn's load_memory can tell whether the checkpoint holds them.

The transaction first counts the turn on the thread's row, only if the count is still the one load_memory
read (`advance_thread`): a second turn that ran at the same time on the thread (the Redis turn lock was
down, or expired) fails here with ThreadMoved and stores nothing.

When a model pass is due later (MNEMO_EXTRACTION=background with an extraction model), the user's
message is stored with metadata.extraction = "pending" and no extracted_at, and its job is queued in
the same transaction; otherwise extracted_at is set now and no worker will look at it."""

from __future__ import annotations

from datetime import UTC, datetime

from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig

from core.metrics import MODEL_COST
from graphs.context import TurnContext
from graphs.resources import Resources
from graphs.state import TurnState
from jobs.enqueue import enqueue_extraction
from memory.cache import refresh_context_memories
from memory.db import tenant_connection
from memory.embeddings import aembed
from memory.extraction import apply_ops, ops_texts, to_memory_ops
from memory.hints import insert_hints
from memory.idempotency import complete_key, key_of
from memory.message_vectors import embed_later
from memory.rows import jsonable
from memory.sessions import record_turn
from memory.threads import advance_thread, ensure_thread, insert_message, message_uuid
from memory.usage import record_usage
from memory.users import ensure_user, lock_user
from nodes.answer import public_answer
from nodes.common import last_user_message, text_of

TITLE_CHARS = 60


def background_extraction(res: Resources) -> bool:
    """A worker will run the model pass on this turn's user message."""
    return res.settings.extraction == "background" and res.settings.extraction_model is not None


def still_true(hints: list[dict], written: list[dict], forgotten: list[dict]) -> list[dict]:
    """The hints whose memory this turn neither deleted nor superseded: the hint node ran before the
    turn's changes were written, and a hint must never show a value the user just replaced or retracted
    (nor point at a deleted row)."""
    gone = {str(m["id"]) for m in forgotten} | {str(i) for m in written for i in m.get("supersedes", ())}
    return [h for h in hints if h.get("memory_id") not in gone]


def _reply_metadata(agent: str, usage: dict) -> dict:
    """Kept with the reply: its agent, and the models that failed before one answered (and why)."""
    metadata = {"agent": agent}
    if usage.get("fallbacks"):
        metadata["fallbacks"] = usage["fallbacks"]
    return metadata


def reply_message(messages: list) -> AIMessage | None:
    """The answer generate added: the last message, when it is the model's."""
    return messages[-1] if messages and isinstance(messages[-1], AIMessage) else None


async def persist(state: TurnState, config: RunnableConfig, res: Resources) -> dict:
    ctx = TurnContext.from_config(config)
    owner = {"tenant_id": ctx.tenant_id, "user_id": ctx.user_id}
    user_message = last_user_message(state["messages"])
    reply = reply_message(state["messages"])
    user_text = text_of(user_message)
    usage = state["usage"]
    now = datetime.now(UTC)
    ops = to_memory_ops(state.get("extracted", []), now)
    vectors = await aembed(res.embedder, [user_text, *ops_texts(ops)])  # the user's is cached (retrieve)
    pending = background_extraction(res)

    async with tenant_connection(res.pool, ctx.tenant_id) as conn:
        await lock_user(conn, **owner)  # one writer of this user's memories and session at a time
        await ensure_user(conn, **owner)
        await ensure_thread(conn, **owner, thread_id=ctx.thread_id, title=user_text[:TITLE_CHARS])
        await advance_thread(conn, ctx.thread_id, state.get("thread_turns", 0))
        user_row = await insert_message(
            conn, **owner, thread_id=ctx.thread_id, role="user", content=user_text, embedding=vectors[0],
            message_id=message_uuid(user_message.id, ctx.thread_id),
            tokens=usage["input_tokens"], metadata={"extraction": "pending"} if pending else None,
            extracted_at=None if pending else now,
        )
        if pending:  # committed with the message, or not at all
            await enqueue_extraction(res, [user_row["id"]], tenant_id=ctx.tenant_id, conn=conn)
        reply_row = await insert_message(
            conn, **owner, thread_id=ctx.thread_id, role="assistant", content=state["reply"],
            embedding=None, tokens=usage["output_tokens"], model=usage["model"],
            message_id=message_uuid(reply.id, ctx.thread_id) if reply is not None else None,
            latency_ms=usage["latency_ms"], metadata=_reply_metadata(state["agent"], usage),
        )
        written, forgotten = await apply_ops(
            conn, **owner, ops=ops, vectors=vectors[1:], thread_id=ctx.thread_id, source_message_id=user_row["id"],
        )
        await record_turn(
            conn, **owner, at=user_row["created_at"], learned=sum(m["action"] == "added" for m in written),
            updated=sum(m["action"] == "updated" for m in written), forgotten=len(forgotten),
            idle_minutes=res.settings.session_idle_minutes,
        )
        hints = still_true(state.get("hints", []), written, forgotten)
        await insert_hints(conn, **owner, thread_id=ctx.thread_id, message_id=reply_row["id"], hints=hints)
        await record_usage(
            conn, **owner, thread_id=ctx.thread_id, message_id=reply_row["id"], model=usage["model"],
            input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"],
            cost_usd=usage["cost_usd"], latency_ms=usage["latency_ms"], provider=usage.get("provider"),
            usage_source=usage.get("usage_source"),
        )
        remembered = [jsonable({k: v for k, v in m.items() if k != "metadata"}) for m in written]
        dropped = [jsonable(m) for m in forgotten]
        key = key_of(config, **owner)
        if key is not None:  # committed with the turn: a retry with this Idempotency-Key gets this answer
            await complete_key(conn, key, public_answer(
                thread_id=ctx.thread_id, message_id=str(reply_row["id"]), reply=state["reply"], agent=state["agent"],
                hints=hints, memories=remembered, usage=usage, forgotten=dropped,
            ))
    MODEL_COST.labels(usage["model"]).inc(usage["cost_usd"] or 0.0)  # counted once the usage row committed
    res.background.start(  # the reply's vector is for later searches: not on the answer's path
        embed_later(res.pool, res.embedder, ctx.tenant_id, reply_row["id"], state["reply"]),
        name=f"embed-reply-{reply_row['id']}",
    )
    if written or forgotten:
        await refresh_context_memories(res, ctx.tenant_id, ctx.user_id)
    return {
        "remembered": remembered,
        "forgotten": dropped,
        "hints": hints,
        "message_ids": {"user": str(user_row["id"]), "assistant": str(reply_row["id"])},
    }
