"""load_memory: what the turn knows about the user and the thread's history trimmed to a token budget.

The user's memories come from the Redis cache (`memory.cache`): on the first turn of a thread (a
session) one PostgreSQL query batch-loads the context set and the user's top other memories into it,
later turns read it (PostgreSQL only on a miss), and every committed change writes it through
(`refresh_context_memories`), so a read after an update never sees the old value.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, trim_messages
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.runnables import RunnableConfig

from core.metrics import PREFERENCE_CACHE_LOADS
from graphs.context import TurnContext
from graphs.resources import Resources
from graphs.state import TurnState
from memory.cache import UserMemories, read_user_memories
from memory.db import tenant_connection


async def _load(res: Resources, tenant_id: str, user_id: str, reason: str) -> UserMemories:
    """Read PostgreSQL and store the entry (refused by the cache if a later read got there first)."""
    async with tenant_connection(res.pool, tenant_id) as conn:
        entry = await read_user_memories(conn, tenant_id=tenant_id, user_id=user_id)
    await res.cache.set(tenant_id, user_id, entry)
    PREFERENCE_CACHE_LOADS.labels(reason).inc()
    return entry


async def refresh_context_memories(res: Resources, tenant_id: str, user_id: str) -> None:
    """Write-through after a committed change: read the user's memories again and replace the cache
    entry."""
    await _load(res, tenant_id, user_id, "write_through")


async def prefetch_session(res: Resources, tenant_id: str, user_id: str) -> UserMemories:
    """The first turn of a session: one round trip loads everything the session reads into the cache."""
    return await _load(res, tenant_id, user_id, "prefetch")


async def load_user_memories(res: Resources, tenant_id: str, user_id: str) -> UserMemories:
    """The cached entry; on a miss read PostgreSQL and write it back."""
    cached = await res.cache.get(tenant_id, user_id)
    return cached if cached is not None else await _load(res, tenant_id, user_id, "miss")


async def load_context_memories(res: Resources, tenant_id: str, user_id: str) -> list[dict]:
    """The cached context set (profile, preferences, constraints)."""
    return (await load_user_memories(res, tenant_id, user_id)).context


def starts_session(messages: list) -> bool:
    """No answer yet in this thread: its first turn (earlier failed turns left no answer)."""
    return not any(isinstance(m, AIMessage) for m in messages)


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
    if starts_session(state["messages"]):
        memories = await prefetch_session(res, ctx.tenant_id, ctx.user_id)
    else:
        memories = await load_user_memories(res, ctx.tenant_id, ctx.user_id)
    orphans = orphaned_user_messages(state["messages"])
    orphan_ids = {o.id for o in orphans}
    kept = [m for m in state["messages"] if m.id not in orphan_ids]
    history = trim_messages(
        kept, max_tokens=res.settings.history_token_budget, strategy="last",
        token_counter=count_tokens_approximately, start_on="human", include_system=False,
    )
    update: dict = {"context_memories": memories.all, "history": history}
    if orphans:
        update["messages"] = orphans
    return update
