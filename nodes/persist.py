"""persist: the turn's messages, memories, hints and usage in one transaction, then the Redis
preference entry refreshed from what was just committed (write-through). The checkpoint itself is
written by the checkpointer."""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

from graphs.context import TurnContext
from graphs.resources import Resources
from graphs.state import TurnState
from memory.embeddings import aembed
from memory.hints import insert_hints
from memory.memories import NewMemory, render, save_memories
from memory.rows import jsonable
from memory.threads import ensure_thread, insert_message, touch_thread
from memory.usage import record_usage
from memory.users import ensure_user
from nodes.common import last_user_message, text_of
from nodes.load_memory import refresh_context_memories

TITLE_CHARS = 60


async def persist(state: TurnState, config: RunnableConfig, res: Resources) -> dict:
    ctx = TurnContext.from_config(config)
    owner = {"tenant_id": ctx.tenant_id, "user_id": ctx.user_id}
    user_text = text_of(last_user_message(state["messages"]))
    usage = state["usage"]
    new_memories = [
        NewMemory(category=c["category"], key=c["key"], value=c["value"], polarity=c["polarity"],
                  confidence=c["confidence"], language=c.get("language"), metadata={"span": c.get("span")})
        for c in state.get("extracted", [])
    ]
    texts = [user_text, state["reply"]] + [render(m.category, m.key, m.value, m.polarity) for m in new_memories]
    vectors = await aembed(res.embedder, texts)

    async with res.pool.connection() as conn, conn.transaction():
        await ensure_user(conn, **owner)
        await ensure_thread(conn, **owner, thread_id=ctx.thread_id, title=user_text[:TITLE_CHARS])
        user_row = await insert_message(
            conn, **owner, thread_id=ctx.thread_id, role="user", content=user_text, embedding=vectors[0],
            tokens=usage["input_tokens"],
        )
        reply_row = await insert_message(
            conn, **owner, thread_id=ctx.thread_id, role="assistant", content=state["reply"],
            embedding=vectors[1], tokens=usage["output_tokens"], model=usage["model"],
            latency_ms=usage["latency_ms"], metadata={"agent": state["agent"]},
        )
        written = await save_memories(
            conn, **owner, memories=new_memories, embeddings=vectors[2:], thread_id=ctx.thread_id,
            source_message_id=user_row["id"],
        )
        await insert_hints(conn, **owner, thread_id=ctx.thread_id, message_id=reply_row["id"],
                           hints=state.get("hints", []))
        await record_usage(
            conn, **owner, thread_id=ctx.thread_id, message_id=reply_row["id"], model=usage["model"],
            input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"],
            cost_usd=usage["cost_usd"], latency_ms=usage["latency_ms"],
        )
        await touch_thread(conn, ctx.thread_id)
    if written:
        await refresh_context_memories(res, ctx.tenant_id, ctx.user_id)
    return {
        "remembered": [jsonable({k: v for k, v in m.items() if k != "metadata"}) for m in written],
        "message_ids": {"user": str(user_row["id"]), "assistant": str(reply_row["id"])},
    }
