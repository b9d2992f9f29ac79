"""load_memory: what the turn knows about the user, and the thread's history read from the messages table.

The user's memories come from the Redis cache (`memory.cache`): on the first turn of a thread (a
session) one PostgreSQL query batch-loads the context set and the user's top other memories into it
(`prefetch_session`), later turns read it (`load_user_memories`: PostgreSQL only on a miss), and every
committed change writes it through (`memory.cache.refresh_context_memories`), so a read after an update
never sees the old value.

The history is the thread's stored turns, not the checkpoint's copy of them: persist commits the turn
before LangGraph writes the checkpoint, so a crash (or a failed checkpoint write) between the two leaves a
checkpoint without the turn, and a failed turn leaves its user message in the checkpoint with no answer.
So the newest `thread_window_messages` rows are read here (one indexed query, with the thread's turn count
that persist commits against), and the checkpoint's `messages` are reconciled to exactly those rows plus
this turn's input, from which generate trims the model's history: what the model sees is what is stored,
after any crash, and the checkpoint stays bounded while the messages table keeps the whole thread. What
leaves the window is folded into the thread's running summary (nodes/thread_summary.py).
"""

from __future__ import annotations

import uuid

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, RemoveMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.message import REMOVE_ALL_MESSAGES
from psycopg import AsyncConnection

from graphs.context import TurnContext
from graphs.resources import Resources
from graphs.state import TurnState
from memory.cache import load_user_memories, prefetch_session
from memory.db import tenant_connection
from memory.threads import ThreadWindow, message_uuid, thread_window, user_messages_before
from nodes.thread_summary import REBUILD_MESSAGES, dropped_messages, fold, user_texts


def stored_message(row: dict) -> AnyMessage:
    """A stored user or assistant message as the model and the checkpoint hold it (same id)."""
    kind = HumanMessage if row["role"] == "user" else AIMessage
    return kind(content=row["content"], id=str(row["id"]))


def split_input(messages: list[AnyMessage]) -> tuple[list[AnyMessage], list[AnyMessage]]:
    """(earlier messages, this turn's input): the input starts at the newest user message."""
    for i in range(len(messages) - 1, -1, -1):
        if isinstance(messages[i], HumanMessage):
            return messages[:i], messages[i:]
    raise ValueError("the turn has no user message")


def reconcile(
    earlier: list[AnyMessage], window: list[AnyMessage], turn_input: list[AnyMessage], thread_id: str,
) -> list[AnyMessage]:
    """The `messages` update that makes the checkpoint hold exactly the stored window, then this turn's
    input: nothing when it already does, removals when it only holds older messages too, else a rewrite."""
    have = [message_uuid(m.id, thread_id) for m in earlier]
    want = [uuid.UUID(str(m.id)) for m in window]
    if have == want:
        return []
    extra = len(have) - len(want)
    if extra > 0 and have[extra:] == want:  # older than the window: dropped from the checkpoint
        return [RemoveMessage(id=m.id) for m in earlier[:extra]]
    return [RemoveMessage(id=REMOVE_ALL_MESSAGES), *window, *turn_input]


async def rebuilt_summary(conn: AsyncConnection, ctx: TurnContext, stored: ThreadWindow, window_size: int) -> str:
    """The summary from the stored user messages just before the window (none when the window holds the
    whole thread)."""
    if len(stored.messages) < window_size:
        return ""
    texts = await user_messages_before(conn, tenant_id=ctx.tenant_id, user_id=ctx.user_id, thread_id=ctx.thread_id,
                                       before_seq=stored.messages[0]["seq"], limit=REBUILD_MESSAGES)
    return fold("", texts)


async def load_memory(state: TurnState, config: RunnableConfig, res: Resources) -> dict:
    ctx = TurnContext.from_config(config)
    earlier, turn_input = split_input(state["messages"])
    size = res.settings.thread_window_messages
    update: dict = {}
    async with tenant_connection(res.pool, ctx.tenant_id) as conn:  # one connection, the rebuild included
        stored = await thread_window(conn, tenant_id=ctx.tenant_id, user_id=ctx.user_id, thread_id=ctx.thread_id,
                                     limit=size)
        window = [stored_message(row) for row in stored.messages]
        changes = reconcile(earlier, window, turn_input, ctx.thread_id)
        if changes:
            update["messages"] = changes
            dropped = dropped_messages(changes, earlier)
            if dropped is None:
                update["summary"] = await rebuilt_summary(conn, ctx, stored, size)
            elif dropped:
                update["summary"] = fold(state.get("summary", ""), user_texts(dropped))
    if not any(isinstance(m, AIMessage) for m in window):  # the thread's first answered turn: a session starts
        memories = await prefetch_session(res, ctx.tenant_id, ctx.user_id)
    else:
        memories = await load_user_memories(res, ctx.tenant_id, ctx.user_id)
    if memories.all != state.get("context_memories"):  # an unchanged list is not written to the checkpoint again
        update["context_memories"] = memories.all
    return update | {"thread_turns": stored.turns}
