"""Everything stored about one user, as JSON-ready rows (GET /v1/memories/export).

Embeddings and full-text vectors are left out (derived from the text, and large); API keys appear by
prefix and dates only (their hashes are secrets). Memories include their history (superseded,
corrected and expired rows), so the export shows what was believed when.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from memory.memories import MEMORY_COLUMNS
from memory.sessions import SESSION_COLUMNS
from memory.threads import THREAD_COLUMNS

OWNER = "WHERE tenant_id = %(tenant)s AND user_id = %(user)s"
EXPORT_SQL: dict[str, str] = {
    "user": f"SELECT tenant_id, user_id, created_at FROM users {OWNER}",
    "api_keys": f"""SELECT id, prefix, name, created_at, expires_at, revoked_at FROM api_keys {OWNER}
                    ORDER BY created_at""",
    "threads": f"SELECT {THREAD_COLUMNS} FROM threads {OWNER} ORDER BY created_at, id",
    "messages": f"""SELECT id, thread_id, seq, role, content, tokens, model, latency_ms, metadata, created_at,
                           extracted_at FROM messages {OWNER} ORDER BY thread_id, seq""",
    "memories": f"SELECT {MEMORY_COLUMNS} FROM memories {OWNER} ORDER BY created_at, id",
    "corrections": f"""SELECT id, memory_id, new_memory_id, old_category, old_value, old_polarity, new_category,
                              new_value, new_polarity, reason, created_at FROM memory_corrections {OWNER}
                       ORDER BY created_at, id""",
    "hints": f"""SELECT id, thread_id, message_id, memory_id, type, text, score, feedback, feedback_at, snoozed_until,
                        created_at FROM hints {OWNER} ORDER BY created_at, id""",
    "usage": f"""SELECT id, thread_id, message_id, model, input_tokens, output_tokens, cost_usd::float8 AS cost_usd,
                        latency_ms, created_at FROM usage {OWNER} ORDER BY created_at, id""",
    "sessions": f"SELECT {SESSION_COLUMNS} FROM sessions {OWNER} ORDER BY started_at, id",
}


async def export_user(conn: AsyncConnection, *, tenant_id: str, user_id: str) -> dict[str, Any]:
    """One key per section of EXPORT_SQL; `user` is one row (None for a user never stored)."""
    params = {"tenant": tenant_id, "user": user_id}
    out: dict[str, Any] = {}
    for section, query in EXPORT_SQL.items():
        rows = await (await conn.execute(query, params)).fetchall()
        out[section] = (rows[0] if rows else None) if section == "user" else rows
    return out
