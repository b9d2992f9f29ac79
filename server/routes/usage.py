"""GET /v1/usage: the caller's tokens and cost per model and UTC day, from the usage table."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from memory.db import tenant_connection
from memory.usage import usage_by_day
from server.deps import Caller, Runtime
from server.errors import ApiError
from server.schemas import UsageReport

router = APIRouter(prefix="/v1", tags=["usage"])

DEFAULT_DAYS = 30
MAX_DAYS = 366


@router.get("/usage", response_model=UsageReport)
async def usage(
    runtime: Runtime, caller: Caller,
    since: Annotated[date | None, Query(description="first day, inclusive (default: 30 days before until)")] = None,
    until: Annotated[date | None, Query(description="last day, inclusive (default: today, UTC)")] = None,
) -> dict:
    until = until or datetime.now(UTC).date()
    try:
        since = since or until - timedelta(days=DEFAULT_DAYS - 1)
        end = datetime.combine(until + timedelta(days=1), time(), UTC)
    except OverflowError as exc:  # 0001-01-01 minus 29 days, 9999-12-31 plus one
        raise ApiError(400, "date out of range") from exc
    if since > until:
        raise ApiError(400, "since is after until")
    if (until - since).days >= MAX_DAYS:
        raise ApiError(400, f"at most {MAX_DAYS} days per request")
    start = datetime.combine(since, time(), UTC)
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        items = await usage_by_day(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, start=start, end=end)
    totals = {key: sum(item[key] for item in items)
              for key in ("calls", "input_tokens", "output_tokens", "unpriced_calls")}
    totals["cost_usd"] = round(sum(item["cost_usd"] for item in items), 10)
    return {"since": since, "until": until, "items": items, "totals": totals}
