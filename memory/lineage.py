"""One memory's history: every version of it (superseded values, in order) and the corrections between
them with their reasons (GET /v1/memories/{id}/history, the dashboard's timeline).

Versions are linked by `superseded_by` (old row -> the row that replaced it). From any version the walk
goes forward to the newest, then back from it to every row that led there, so any version's history is
the same whole chain.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from memory.memories import CURRENT, MARK_FORGOTTEN_SQL, MEMORY_COLUMNS, lock_user

MAX_DEPTH = 200  # a chain longer than this is cut (a cycle cannot occur, but a bound costs nothing)

LINEAGE_SQL = f"""
WITH RECURSIVE forward(id, depth) AS (
    SELECT id, 0 FROM memories WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND id = %(id)s
    UNION ALL
    SELECT m.superseded_by, f.depth + 1 FROM memories m JOIN forward f ON m.id = f.id
    WHERE m.tenant_id = %(tenant)s AND m.user_id = %(user)s AND m.superseded_by IS NOT NULL
      AND f.depth < {MAX_DEPTH}
), newest AS (
    SELECT id FROM forward ORDER BY depth DESC LIMIT 1
), back(id, depth) AS (
    SELECT id, 0 FROM newest
    UNION ALL
    SELECT m.id, b.depth + 1 FROM memories m JOIN back b ON m.superseded_by = b.id
    WHERE m.tenant_id = %(tenant)s AND m.user_id = %(user)s AND b.depth < {MAX_DEPTH}
)
SELECT {MEMORY_COLUMNS}, ({CURRENT}) AS is_current FROM memories
WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND id IN (SELECT id FROM back)
ORDER BY created_at, id"""

CORRECTIONS_SQL = """
SELECT id, memory_id, new_memory_id, old_category, old_value, old_polarity, new_category, new_value,
       new_polarity, reason, created_at
FROM memory_corrections
WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND (memory_id = ANY(%(ids)s) OR new_memory_id = ANY(%(ids)s))
ORDER BY created_at, id"""


async def memory_lineage(conn: AsyncConnection, *, tenant_id: str, user_id: str,
                         memory_id: UUID) -> dict[str, Any] | None:
    """{versions: oldest first, each with is_current; corrections: oldest first}; None when the memory is
    not the caller's."""
    params = {"tenant": tenant_id, "user": user_id, "id": memory_id}
    versions = await (await conn.execute(LINEAGE_SQL, params)).fetchall()
    if not versions:
        return None
    ids = [row["id"] for row in versions]
    corrections = await (await conn.execute(CORRECTIONS_SQL, {**params, "ids": ids})).fetchall()
    return {"versions": versions, "corrections": corrections}


FORGET_SQL = f"""
WITH RECURSIVE chain(id, depth) AS (
    SELECT id, 0 FROM memories WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND id = ANY(%(ids)s)
    UNION ALL
    SELECT m.id, c.depth + 1 FROM memories m JOIN chain c ON m.superseded_by = c.id
    WHERE m.tenant_id = %(tenant)s AND m.user_id = %(user)s AND c.depth < {MAX_DEPTH}
)
DELETE FROM memories WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND id IN (SELECT id FROM chain)
RETURNING id, source_message_id"""


async def forget_with_history(conn: AsyncConnection, *, tenant_id: str, user_id: str, ids: list[UUID]) -> int:
    """Delete each memory with the versions that led to it (their corrections go with them), in one
    statement, and take the messages that stated them out of search, as a forget said in chat does.
    Call inside a transaction. Answers how many of `ids` were the caller's and are gone."""
    await lock_user(conn, tenant_id=tenant_id, user_id=user_id)
    rows = await (await conn.execute(FORGET_SQL, {"tenant": tenant_id, "user": user_id, "ids": ids})).fetchall()
    sources = list({row["source_message_id"] for row in rows if row["source_message_id"]})
    if sources:
        await conn.execute(MARK_FORGOTTEN_SQL, (tenant_id, user_id, sources))
    asked = set(ids)
    return sum(1 for row in rows if row["id"] in asked)
