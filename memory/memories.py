"""Long-term memories: save with consolidation (add, restate, supersede, forget), correct, list, and
the context set.

A memory is never overwritten: a new value for a single-valued key (a name, a city) or a flipped
polarity closes the old row (valid_until, superseded_by) and adds a new one, so history is kept.
A temporary state ("this week I'm in Lisbon") has an `expires_at` and lives under its own key
(`fact.temporary_location`), so it never replaces the lasting city; a lasting statement on the same
topic ends it. An explicit retraction ("forget what I said about X") deletes the matching rows,
history included: the user asked for them to be gone, not archived.

Current means: valid_until IS NULL AND (expires_at IS NULL OR expires_at > now()).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import numpy as np
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from memory.users import lock_user

# Keys that hold one current value: a new statement replaces the old one.
SINGLE_VALUED_KEYS = frozenset({
    "profile.name", "profile.location", "profile.age", "profile.occupation", "profile.employer",
    "preference.reply_language", "preference.reply_style", "constraint.diet", "constraint.budget",
    "constraint.deadline", "fact.temporary_location", "fact.temporary_state",
})
# A lasting statement of one of these ends the matching temporary state.
ENDS_TEMPORARY = {"profile.location": "fact.temporary_location"}
CURRENT = "valid_until IS NULL AND (expires_at IS NULL OR expires_at > now())"
# Categories the model always sees (cached in Redis); the others come through retrieval.
CONTEXT_CATEGORIES = ("profile", "preference", "constraint")

MEMORY_COLUMNS = """id, category, key, value, polarity, confidence, content, language, thread_id,
    source_message_id, metadata, created_at, valid_from, valid_until, superseded_by, expires_at, due_at"""
CURRENT_FOR_KEY_SQL = """
SELECT id, key, value, polarity, coalesce(expires_at <= now(), false) AS expired FROM memories
WHERE tenant_id = %s AND user_id = %s AND key = ANY(%s) AND valid_until IS NULL
FOR UPDATE"""
CLOSE_SQL = "UPDATE memories SET valid_until = now() WHERE id = ANY(%s)"
LINK_SUPERSEDED_SQL = "UPDATE memories SET superseded_by = %s WHERE id = ANY(%s)"
INSERT_SQL = f"""
INSERT INTO memories (tenant_id, user_id, category, key, value, polarity, confidence, content, language,
                      thread_id, source_message_id, metadata, embedding, expires_at, due_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (tenant_id, user_id, key, lower(value)) WHERE valid_until IS NULL DO NOTHING
RETURNING {MEMORY_COLUMNS}"""
FIND_CURRENT_SQL = f"""
SELECT {MEMORY_COLUMNS} FROM memories
WHERE tenant_id = %s AND user_id = %s AND key = %s AND lower(value) = lower(%s) AND valid_until IS NULL"""
GET_SQL = f"SELECT {MEMORY_COLUMNS} FROM memories WHERE tenant_id = %s AND user_id = %s AND id = %s"
LIST_SQL = f"""
SELECT {MEMORY_COLUMNS} FROM memories
WHERE tenant_id = %s AND user_id = %s AND (%s OR ({CURRENT}))
  AND (%s::text IS NULL OR category = %s) AND (%s::timestamptz IS NULL OR (created_at, id) < (%s, %s))
  AND (%s::text IS NULL OR key = %s) AND (%s::text IS NULL OR thread_id = %s)
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
    expires_at: datetime | None = None  # a temporary state ends then
    due_at: datetime | None = None  # an intent's follow-up is due then


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
    await lock_user(conn, tenant_id=tenant_id, user_id=user_id)
    written: list[dict] = []
    for memory, embedding in zip(memories, embeddings, strict=True):
        if (memory.metadata or {}).get("extractor") == "learned" and await _restated(
                conn, tenant_id=tenant_id, user_id=user_id, memory=memory):
            continue
        keys = [memory.key, *([ENDS_TEMPORARY[memory.key]] if memory.key in ENDS_TEMPORARY else [])]
        rows = await (await conn.execute(CURRENT_FOR_KEY_SQL, (tenant_id, user_id, keys))).fetchall()
        expired = [r["id"] for r in rows if r["expired"]]
        rows = [r for r in rows if not r["expired"]]
        current = [r for r in rows if r["key"] == memory.key]
        same_value = [r for r in current if r["value"].lower() == memory.value.lower()]
        if same_value and same_value[0]["polarity"] == memory.polarity:
            continue  # restatement
        to_close = [r["id"] for r in same_value]
        if memory.key in SINGLE_VALUED_KEYS:
            to_close = [r["id"] for r in current]
        to_close += [r["id"] for r in rows if r["key"] != memory.key]  # the temporary state it ends
        to_close += expired
        if to_close:
            await conn.execute(CLOSE_SQL, (to_close,))
        content = render(memory.category, memory.key, memory.value, memory.polarity)
        row = await (
            await conn.execute(
                INSERT_SQL,
                (tenant_id, user_id, memory.category, memory.key, memory.value, memory.polarity,
                 memory.confidence, content, memory.language, thread_id, source_message_id,
                 Jsonb(memory.metadata or {}), embedding, memory.expires_at, memory.due_at),
            )
        ).fetchone()
        if row is None:  # a concurrent turn stored the same value first
            continue
        if to_close:
            await conn.execute(LINK_SUPERSEDED_SQL, (row["id"], to_close))
        written.append({**row, "action": "updated" if to_close else "added", "supersedes": to_close})
    return written


RESTATED_SQL = f"""
SELECT 1 FROM memories
WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND category = %(category)s AND polarity = %(polarity)s
  AND {CURRENT} AND (strpos(lower(%(value)s), lower(value)) > 0 OR strpos(lower(value), lower(%(value)s)) > 0)
LIMIT 1"""


async def _restated(conn: AsyncConnection, *, tenant_id: str, user_id: str, memory: NewMemory) -> bool:
    """A memory found by the learned stage only says again what a current memory of its category holds
    ("still vegan" beside "vegan"): its key is a guess, so an exact key match is not needed to see it."""
    return await (await conn.execute(RESTATED_SQL, {
        "tenant": tenant_id, "user": user_id, "category": memory.category, "polarity": memory.polarity,
        "value": memory.value})).fetchone() is not None


async def find_current(conn: AsyncConnection, *, tenant_id: str, user_id: str, key: str, value: str) -> dict | None:
    """The current memory holding this value for this key, if any."""
    return await (await conn.execute(FIND_CURRENT_SQL, (tenant_id, user_id, key, value))).fetchone()


async def list_memories(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, category: str | None = None,
    include_superseded: bool = False, before: tuple[datetime, UUID] | None = None, limit: int = 50,
    key: str | None = None, thread_id: str | None = None,
) -> list[dict]:
    """Newest first, keyset-paginated on (created_at, id); `key` and `thread_id` filter exactly."""
    ts, ident = before if before else (None, None)
    return await (
        await conn.execute(
            LIST_SQL, (tenant_id, user_id, include_superseded, category, category, ts, ts, ident, key, key,
                       thread_id, thread_id, limit)
        )
    ).fetchall()


async def get_memory(conn: AsyncConnection, *, tenant_id: str, user_id: str, memory_id: UUID) -> dict | None:
    return await (await conn.execute(GET_SQL, (tenant_id, user_id, memory_id))).fetchone()


DELETE_SQL = "DELETE FROM memories WHERE tenant_id = %s AND user_id = %s AND id = %s RETURNING id"
# Rows that mention the retracted topic by one of its words (full-text, English and French, any word),
# current and past: the user asked for them to be gone, not archived.
FORGET_BY_WORDS_SQL = """
WITH q AS (SELECT websearch_to_tsquery('english', %(words)s) || websearch_to_tsquery('french', %(words)s) AS tsq)
DELETE FROM memories m USING q
WHERE m.tenant_id = %(tenant)s AND m.user_id = %(user)s AND m.tsv @@ q.tsq
RETURNING m.id, m.category, m.key, m.value, m.source_message_id"""
# No row shares a word with the phrase ("my banks" -> "account at Boursorama"): the one current memory
# closest in meaning, if close enough, and the rows it superseded.
FORGET_NEAREST_SQL = f"""
WITH nearest AS (
    SELECT id FROM memories
    WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND {CURRENT} AND embedding <=> %(embedding)s < %(max_distance)s
    ORDER BY embedding <=> %(embedding)s LIMIT 1)
DELETE FROM memories m USING nearest
WHERE m.tenant_id = %(tenant)s AND m.user_id = %(user)s AND (m.id = nearest.id OR m.superseded_by = nearest.id)
RETURNING m.id, m.category, m.key, m.value, m.source_message_id"""
# The messages that stated a forgotten memory stay in their thread (the user's record) but leave search.
MARK_FORGOTTEN_SQL = """
UPDATE messages SET metadata = metadata || '{"forgotten": true}'::jsonb
WHERE tenant_id = %s AND user_id = %s AND id = ANY(%s)"""
FORGET_MAX_DISTANCE = 0.5  # cosine similarity above 0.5 between the retracted phrase and the memory
# Words of a retraction that name no topic ("the depression thing", "ce truc", "mon allergie" -> "allergie"):
# a possessive or an article would match every memory that happens to hold it.
_GENERIC_WORDS = frozenset(
    "thing things stuff bit part what said told about that this truc trucs chose choses histoire sujet partie"
    " dit parle ce ca cela que qui the and any all my mine your our their his her its you him them was were"
    " have has had for with from into over sur les des une aux mon ton son mes tes ses nos vos notre votre leur"
    " leurs moi toi lui elle eux est sont avec dans pour par pas plus tout tous toute toutes".split()
)


def forget_words(phrase: str) -> list[str]:
    """The words of a retraction that name its topic."""
    words = re.findall(r"[^\W_]+", phrase.replace("'", " "))
    return [w for w in words if len(w) > 2 and w.lower() not in _GENERIC_WORDS]


async def forget_memories(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, phrase: str, embedding: np.ndarray
) -> list[dict]:
    """Delete the memories, current or past, about what `phrase` names, and nothing else: those sharing one
    of its topic words, or else the one closest in meaning; the messages that stated them are marked
    `forgotten` and leave search (they stay in their thread). Returns the deleted rows."""
    await lock_user(conn, tenant_id=tenant_id, user_id=user_id)
    params = {"tenant": tenant_id, "user": user_id, "words": " or ".join(forget_words(phrase)),
              "embedding": embedding, "max_distance": FORGET_MAX_DISTANCE}
    deleted = await (await conn.execute(FORGET_BY_WORDS_SQL, params)).fetchall() if params["words"] else []
    if not deleted:
        deleted = await (await conn.execute(FORGET_NEAREST_SQL, params)).fetchall()
    sources = [row["source_message_id"] for row in deleted if row["source_message_id"] is not None]
    if sources:
        await conn.execute(MARK_FORGOTTEN_SQL, (tenant_id, user_id, sources))
    return [{k: v for k, v in row.items() if k != "source_message_id"} for row in deleted]


async def delete_memory(conn: AsyncConnection, *, tenant_id: str, user_id: str, memory_id: UUID) -> bool:
    await lock_user(conn, tenant_id=tenant_id, user_id=user_id)
    return await (await conn.execute(DELETE_SQL, (tenant_id, user_id, memory_id))).fetchone() is not None


LOCK_CURRENT_SQL = f"""
SELECT {MEMORY_COLUMNS} FROM memories
WHERE tenant_id = %s AND user_id = %s AND id = %s AND valid_until IS NULL FOR UPDATE"""
CORRECTION_SQL = """
INSERT INTO memory_corrections (tenant_id, user_id, memory_id, new_memory_id, old_category, old_value,
                                old_polarity, new_category, new_value, new_polarity, reason)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id, created_at"""


class NotCurrent(Exception):
    """The memory was superseded or deleted: only the current value can be corrected."""


async def correct_memory(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, memory_id: UUID, new: NewMemory,
    embedding: np.ndarray, reason: str | None = None,
) -> dict:
    """Replace a current memory with the corrected one and record old and new value in
    memory_corrections; call inside a transaction. Returns the current row after the correction, with
    `correction` (the audit row) or None when nothing changed."""
    await lock_user(conn, tenant_id=tenant_id, user_id=user_id)
    old = await (await conn.execute(LOCK_CURRENT_SQL, (tenant_id, user_id, memory_id))).fetchone()
    if old is None:
        raise NotCurrent(str(memory_id))
    unchanged = (old["category"], old["key"], old["value"], old["polarity"]) == (
        new.category, new.key, new.value, new.polarity)
    if unchanged:
        return {**old, "correction": None}
    await conn.execute(CLOSE_SQL, ([old["id"]],))
    content = render(new.category, new.key, new.value, new.polarity)
    row = await (await conn.execute(INSERT_SQL, (
        tenant_id, user_id, new.category, new.key, new.value, new.polarity, new.confidence, content,
        new.language or old["language"], old["thread_id"], old["source_message_id"],
        Jsonb({**old["metadata"], "corrected_from": str(old["id"])}), embedding, new.expires_at, new.due_at,
    ))).fetchone()
    if row is None:  # the corrected value is already stored as another current memory: that one stays
        row = await find_current(conn, tenant_id=tenant_id, user_id=user_id, key=new.key, value=new.value)
    await conn.execute(LINK_SUPERSEDED_SQL, (row["id"], [old["id"]]))
    audit = await (await conn.execute(CORRECTION_SQL, (
        tenant_id, user_id, old["id"], row["id"], old["category"], old["value"], old["polarity"],
        new.category, new.value, new.polarity, reason,
    ))).fetchone()
    return {**row, "correction": {"id": audit["id"], "created_at": audit["created_at"], "memory_id": old["id"],
                                  "old_value": old["value"], "new_value": new.value,
                                  "old_polarity": old["polarity"], "new_polarity": new.polarity, "reason": reason}}
