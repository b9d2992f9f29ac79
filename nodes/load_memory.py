"""load_memory: the user's profile, preferences and constraints (Redis first, PostgreSQL on a miss,
written back with a TTL) and the thread's history trimmed to a token budget."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, trim_messages
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.runnables import RunnableConfig

from graphs.context import TurnContext
from graphs.resources import Resources
from graphs.state import TurnState
from memory.memories import context_memories
from memory.rows import jsonable


async def refresh_context_memories(res: Resources, tenant_id: str, user_id: str) -> list[dict]:
    """Write-through after a committed change: read the context set again and replace the cache entry."""
    async with res.pool.connection() as conn:
        rows = [jsonable(r) for r in await context_memories(conn, tenant_id=tenant_id, user_id=user_id)]
    await res.cache.set(tenant_id, user_id, rows)
    return rows


async def load_context_memories(res: Resources, tenant_id: str, user_id: str) -> list[dict]:
    """Cached context set; on a miss read PostgreSQL and write it back."""
    cached = await res.cache.get(tenant_id, user_id)
    return cached if cached is not None else await refresh_context_memories(res, tenant_id, user_id)


def orphaned_user_messages(messages: list) -> list[RemoveMessage]:
    """User messages of earlier turns that failed before answering: dropped so a failed turn leaves
    nothing behind in the thread the model sees (the newest user message is this turn's)."""
    orphans = []
    for i, message in enumerate(messages[:-1]):
        if isinstance(message, HumanMessage) and not isinstance(messages[i + 1], AIMessage):
            orphans.append(RemoveMessage(id=message.id))
    return orphans


async def load_memory(state: TurnState, config: RunnableConfig, res: Resources) -> dict:
    ctx = TurnContext.from_config(config)
    memories = await load_context_memories(res, ctx.tenant_id, ctx.user_id)
    orphans = orphaned_user_messages(state["messages"])
    orphan_ids = {o.id for o in orphans}
    kept = [m for m in state["messages"] if m.id not in orphan_ids]
    history = trim_messages(
        kept, max_tokens=res.settings.history_token_budget, strategy="last",
        token_counter=count_tokens_approximately, start_on="human", include_system=False,
    )
    update: dict = {"context_memories": memories, "history": history}
    if orphans:
        update["messages"] = orphans
    return update
