"""load_memory: what the turn knows about the user and the thread's history trimmed to a token budget.

The user's memories come from the Redis cache (`memory.cache`): on the first turn of a thread (a
session) one PostgreSQL query batch-loads the context set and the user's top other memories into it
(`prefetch_session`), later turns read it (`load_user_memories`: PostgreSQL only on a miss), and every
committed change writes it through (`memory.cache.refresh_context_memories`), so a read after an update
never sees the old value.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, trim_messages
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.runnables import RunnableConfig

from graphs.context import TurnContext
from graphs.resources import Resources
from graphs.state import TurnState
from memory.cache import load_user_memories, prefetch_session


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
