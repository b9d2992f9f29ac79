"""Long-term memories: save with consolidation (add, restate, supersede), list, and the context set.

A memory is never overwritten: a new value for a single-valued key (a name, a city) or a flipped
polarity closes the old row (valid_until, superseded_by) and adds a new one, so history is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import numpy as np
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

# Keys that hold one current value: a new statement replaces the old one.
SINGLE_VALUED_KEYS = frozenset({
    "profile.name", "profile.location", "profile.age", "profile.occupation", "profile.employer",
    "preference.reply_language", "preference.reply_style", "constraint.diet", "constraint.budget",
})
# Categories the model always sees (cached in Redis); the others come through retrieval.
CONTEXT_CATEGORIES = ("profile", "preference", "constraint")

MEMORY_COLUMNS = """id, category, key, value, polarity, confidence, content, language, thread_id,
    source_message_id, metadata, created_at, valid_from, valid_until, superseded_by"""
CURRENT_FOR_KEY_SQL = """
SELECT id, value, polarity FROM memories
WHERE tenant_id = %s AND user_id = %s AND key = %s AND valid_until IS NULL
FOR UPDATE"""
CLOSE_SQL = "UPDATE memories SET valid_until = now() WHERE id = ANY(%s)"
LINK_SUPERSEDED_SQL = "UPDATE memories SET superseded_by = %s WHERE id = ANY(%s)"
INSERT_SQL = f"""
INSERT INTO memories (tenant_id, user_id, category, key, value, polarity, confidence, content, language,
                      thread_id, source_message_id, metadata, embedding)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (tenant_id, user_id, key, lower(value)) WHERE valid_until IS NULL DO NOTHING
RETURNING {MEMORY_COLUMNS}"""
FIND_CURRENT_SQL = f"""
SELECT {MEMORY_COLUMNS} FROM memories
WHERE tenant_id = %s AND user_id = %s AND key = %s AND lower(value) = lower(%s) AND valid_until IS NULL"""
CONTEXT_SQL = f"""
SELECT {MEMORY_COLUMNS} FROM memories
WHERE tenant_id = %s AND user_id = %s AND valid_until IS NULL AND category = ANY(%s)
ORDER BY category, confidence DESC, created_at DESC LIMIT %s"""
LIST_SQL = f"""
SELECT {MEMORY_COLUMNS} FROM memories
WHERE tenant_id = %s AND user_id = %s AND (%s OR valid_until IS NULL)
  AND (%s::text IS NULL OR category = %s) AND (%s::timestamptz IS NULL OR (created_at, id) < (%s, %s))
ORDER BY created_at DESC, id DESC LIMIT %s"""


@dataclass(frozen=True)
class NewMemory:
    """A memory to store (from extraction or the API)."""

    category: str
    key: str
    value: str
    polarity: str = "positive"
    confidence: float = 0.8
    language: str | None = None
    metadata: dict[str, Any] | None = None


def render(category: str, key: str, value: str, polarity: str) -> str:
    """The sentence embedded, searched and shown to the model for one memory."""
    topic = key.split(".", 1)[-1].replace("_", " ")
    if category == "preference":
        return f"User {'dislikes' if polarity == 'negative' else 'likes'} {value} ({topic})"
    if category == "constraint":
        return f"User constraint on {topic}: {'not ' if polarity == 'negative' else ''}{value}"
    if category == "profile":
        return f"User's {topic}: {value}" if polarity == "positive" else f"User's {topic} is not {value}"
    return f"User {category} ({topic}): {value}"


async def save_memories(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, memories: list[NewMemory],
    embeddings: np.ndarray, thread_id: str | None = None, source_message_id: UUID | None = None,
) -> list[dict]:
    """Consolidate and store; call inside a transaction. Returns the rows written, each with `action`
    ("added" or "updated", and `supersedes` for an update). A restatement writes nothing."""
    written: list[dict] = []
    for memory, embedding in zip(memories, embeddings, strict=True):
        current = await (
            await conn.execute(CURRENT_FOR_KEY_SQL, (tenant_id, user_id, memory.key))
        ).fetchall()
        same_value = [r for r in current if r["value"].lower() == memory.value.lower()]
        if same_value and same_value[0]["polarity"] == memory.polarity:
            continue  # restatement
        to_close = [r["id"] for r in same_value]
        if memory.key in SINGLE_VALUED_KEYS:
            to_close = [r["id"] for r in current]
        if to_close:
            await conn.execute(CLOSE_SQL, (to_close,))
        content = render(memory.category, memory.key, memory.value, memory.polarity)
        row = await (
            await conn.execute(
                INSERT_SQL,
                (tenant_id, user_id, memory.category, memory.key, memory.value, memory.polarity,
                 memory.confidence, content, memory.language, thread_id, source_message_id,
                 Jsonb(memory.metadata or {}), embedding),
            )
        ).fetchone()
        if row is None:  # a concurrent turn stored the same value first
            continue
        if to_close:
            await conn.execute(LINK_SUPERSEDED_SQL, (row["id"], to_close))
        written.append({**row, "action": "updated" if to_close else "added", "supersedes": to_close})
    return written


async def find_current(conn: AsyncConnection, *, tenant_id: str, user_id: str, key: str, value: str) -> dict | None:
    """The current memory holding this value for this key, if any."""
    return await (await conn.execute(FIND_CURRENT_SQL, (tenant_id, user_id, key, value))).fetchone()


async def context_memories(
    conn: AsyncConnection, *, tenant_id: str, user_id: str,
    categories: tuple[str, ...] = CONTEXT_CATEGORIES, limit: int = 50,
) -> list[dict]:
    """Current profile, preference and constraint memories: what the model always sees."""
    return await (
        await conn.execute(CONTEXT_SQL, (tenant_id, user_id, list(categories), limit))
    ).fetchall()


async def list_memories(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, category: str | None = None,
    include_superseded: bool = False, before: tuple[datetime, UUID] | None = None, limit: int = 50,
) -> list[dict]:
    """Newest first, keyset-paginated on (created_at, id)."""
    ts, ident = before if before else (None, None)
    return await (
        await conn.execute(
            LIST_SQL, (tenant_id, user_id, include_superseded, category, category, ts, ts, ident, limit)
        )
    ).fetchall()
