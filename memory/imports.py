"""Past conversations imported as a thread, so they become searchable (and optionally remembered)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from psycopg import AsyncConnection

from memory.memories import NewMemory, save_memories
from memory.threads import ensure_thread, insert_message
from memory.users import ensure_user


@dataclass(frozen=True)
class ImportedMessage:
    role: str
    content: str
    created_at: datetime | None = None
    metadata: dict[str, Any] | None = None


async def import_thread(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, title: str | None,
    messages: list[ImportedMessage], embeddings: np.ndarray,
    memories: Sequence[tuple[int, NewMemory]] = (), memory_embeddings: np.ndarray | None = None,
) -> str:
    """One transaction: the thread, its messages with their own timestamps, and memories taken from
    message i of `memories` [(i, memory)]. Returns the new thread id."""
    thread_id = str(uuid.uuid4())
    owner = {"tenant_id": tenant_id, "user_id": user_id}
    async with conn.transaction():
        await ensure_user(conn, **owner)
        await ensure_thread(conn, **owner, thread_id=thread_id, title=title, metadata={"imported": True})
        ids = []
        for message, vector in zip(messages, embeddings, strict=True):
            row = await insert_message(
                conn, **owner, thread_id=thread_id, role=message.role, content=message.content,
                embedding=vector, metadata=message.metadata, created_at=message.created_at,
            )
            ids.append(row["id"])
        for position, (index, memory) in enumerate(memories):
            await save_memories(conn, **owner, memories=[memory], embeddings=memory_embeddings[position:position + 1],
                                thread_id=thread_id, source_message_id=ids[index])
    return thread_id
