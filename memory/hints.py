"""Hints shown to a user, kept with the user's feedback so it changes what is offered next.

`hint_candidates` reads, in one query, the memories a hint may come from (current profile, preference
and constraint memories, and intents whose `due_at` has passed) with their similarity to the turn's
message and what the user did with earlier hints about each one (a LEFT JOIN LATERAL on hints):
- dismissed (the latest feedback): the memory is left out for good; a new or corrected memory is a new
  row and can be hinted again;
- snoozed: left out until `hints.snoozed_until`;
- applied: counted, and the hint node scores the memory higher for each (nodes/hint.py);
- shown in this thread less than `repeat_after` seconds ago: left out, so a reminder is not repeated
  on every turn.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import numpy as np
from psycopg import AsyncConnection

from memory.memories import CONTEXT_CATEGORIES, CURRENT

FEEDBACK_ACTIONS = ("applied", "dismissed", "snoozed")
CANDIDATE_LIMIT = 200

INSERT_HINT_SQL = """
INSERT INTO hints (id, tenant_id, user_id, thread_id, message_id, memory_id, type, text, score)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"""

CANDIDATES_SQL = f"""
SELECT m.id, m.category, m.key, m.value, m.polarity, m.content, m.due_at,
       coalesce(1 - (m.embedding <=> %(embedding)s), 0)::float8 AS similarity,
       coalesce(past.applied, 0) AS applied
FROM memories m
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE h.feedback = 'applied') AS applied,
           (array_agg(h.feedback ORDER BY h.feedback_at DESC) FILTER (WHERE h.feedback IS NOT NULL))[1]
               AS last_feedback,
           (array_agg(h.snoozed_until ORDER BY h.feedback_at DESC) FILTER (WHERE h.feedback IS NOT NULL))[1]
               AS snoozed_until,
           max(h.created_at) FILTER (WHERE h.thread_id = %(thread_id)s) AS shown_in_thread
    FROM hints h
    WHERE h.tenant_id = m.tenant_id AND h.user_id = m.user_id AND h.memory_id = m.id
) past ON true
WHERE m.tenant_id = %(tenant_id)s AND m.user_id = %(user_id)s AND {CURRENT}
  AND (m.category = ANY(%(categories)s) OR (m.category = 'intent' AND m.due_at <= now()))
  AND past.last_feedback IS DISTINCT FROM 'dismissed'
  AND (past.last_feedback IS DISTINCT FROM 'snoozed' OR past.snoozed_until <= now())
  AND (past.shown_in_thread IS NULL OR past.shown_in_thread < now() - make_interval(secs => %(repeat_after)s))
ORDER BY similarity DESC
LIMIT %(limit)s"""

FEEDBACK_SQL = """
UPDATE hints SET feedback = %(action)s, feedback_at = now(),
    snoozed_until = CASE WHEN %(action)s = 'snoozed' THEN now() + make_interval(secs => %(snooze)s) END
WHERE id = %(id)s AND tenant_id = %(tenant_id)s AND user_id = %(user_id)s
RETURNING id, memory_id, type, text, feedback, feedback_at, snoozed_until"""


async def insert_hints(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str, message_id: UUID,
    hints: list[dict],
) -> None:
    for h in hints:
        await conn.execute(
            INSERT_HINT_SQL,
            (h["id"], tenant_id, user_id, thread_id, message_id, h.get("memory_id"), h["type"], h["text"],
             h["score"]),
        )


async def hint_candidates(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, thread_id: str, embedding: np.ndarray,
    repeat_after: float,
) -> list[dict[str, Any]]:
    """Memories a hint may come from, most similar to the message first, with `similarity` and
    `applied` (how many of their hints the user applied)."""
    return await (await conn.execute(CANDIDATES_SQL, {
        "tenant_id": tenant_id, "user_id": user_id, "thread_id": thread_id, "embedding": embedding,
        "categories": list(CONTEXT_CATEGORIES), "repeat_after": repeat_after, "limit": CANDIDATE_LIMIT,
    })).fetchall()


async def record_feedback(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, hint_id: UUID, action: str,
    snooze_seconds: float = 0,
) -> dict[str, Any] | None:
    """Store the caller's feedback on one of their hints; None when they have no hint with this id."""
    return await (await conn.execute(FEEDBACK_SQL, {
        "action": action, "snooze": snooze_seconds, "id": hint_id, "tenant_id": tenant_id, "user_id": user_id,
    })).fetchone()
