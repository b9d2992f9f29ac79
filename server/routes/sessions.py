"""GET /v1/sessions: the caller's sessions (windows of activity ending after MNEMO_SESSION_IDLE_MINUTES
without a turn), newest first, with what each learned, updated and forgot, and its consolidation."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query

from memory.db import tenant_connection
from memory.rows import jsonable
from memory.sessions import list_sessions
from server.deps import Caller, Runtime
from server.pagination import decode_keyset, encode_cursor
from server.schemas import SessionPage

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])


@router.get("", response_model=SessionPage)
async def get_sessions(
    runtime: Runtime, caller: Caller, cursor: str | None = None, limit: int = Query(default=50, ge=1, le=200),
) -> dict:
    """The caller's sessions, most recent first."""
    before = decode_keyset(cursor, UUID)
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        rows = await list_sessions(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, before=before,
                                   limit=limit + 1, idle_minutes=runtime.resources.settings.session_idle_minutes)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1]["started_at"].isoformat(), str(rows[-1]["id"])]) if more else None
    return {"items": [jsonable(r) for r in rows], "next_cursor": next_cursor}
