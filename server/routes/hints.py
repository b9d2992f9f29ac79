"""POST /v1/hints/{id}/feedback: the caller applied, dismissed or snoozed one of their hints.

The feedback is stored on the hint row and changes what the hint node offers next (see
memory/hints.py and nodes/hint.py): dismissed memories are not hinted again, snoozed ones come back
after the snooze, applied ones score higher.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from core.metrics import HINT_FEEDBACK
from memory.db import tenant_connection
from memory.hints import record_feedback
from memory.rows import jsonable
from server.deps import Caller, Runtime
from server.errors import ApiError
from server.schemas import HintFeedback

DEFAULT_SNOOZE_SECONDS = 86400

router = APIRouter(prefix="/v1/hints", tags=["hints"])


@router.post("/{hint_id}/feedback")
async def hint_feedback(hint_id: str, body: HintFeedback, runtime: Runtime, caller: Caller) -> dict:
    """404 for an id that is not one of the caller's hints (another user's included)."""
    try:
        ident = UUID(hint_id)
    except ValueError as exc:
        raise ApiError(404, f"hint {hint_id} not found") from exc
    snooze = body.snooze_seconds or DEFAULT_SNOOZE_SECONDS
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        row = await record_feedback(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, hint_id=ident,
                                    action=body.action, snooze_seconds=snooze)
    if row is None:
        raise ApiError(404, f"hint {hint_id} not found")
    HINT_FEEDBACK.labels(body.action).inc()
    return jsonable(row)
