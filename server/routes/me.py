"""DELETE /v1/me: forget the caller entirely (the right to erasure).

Every row of theirs in our tables (API keys and the users row included), their threads' LangGraph
checkpoints and their queued extraction jobs go in one transaction (memory/erase.py); then their
Redis entries. The key used for the call stops working with it.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import Response

from memory.db import tenant_connection
from memory.erase import erase_user, forget_cached
from server.deps import Caller, Runtime

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["me"])


@router.delete("/me", status_code=204, response_class=Response)
async def forget_me(runtime: Runtime, caller: Caller) -> Response:
    """Delete everything stored about the caller; answers 204, after which their keys are refused (401)."""
    res = runtime.resources
    async with tenant_connection(res.pool, caller.tenant_id) as conn:
        counts = await erase_user(conn, tenant_id=caller.tenant_id, user_id=caller.user_id)
    await forget_cached(res.redis, res.cache, tenant_id=caller.tenant_id, user_id=caller.user_id)
    log.info("forgot a user of tenant %s: %s", caller.tenant_id, counts)
    return Response(status_code=204)
