"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from models.registry import warm_up
from server.deps import Runtime
from server.errors import RETRY_UNAVAILABLE

router = APIRouter(tags=["health"])
CHECK_SECONDS = 0.8


@router.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(runtime: Runtime) -> JSONResponse:
    """PostgreSQL, Redis and the chat model each answer, or 503 saying which does not; checked side by side,
    each within CHECK_SECONDS, so a load balancer's probe is answered within a second even in an outage."""
    res = runtime.resources

    async def postgres() -> None:
        async with res.pool.connection(timeout=CHECK_SECONDS) as conn:
            await conn.execute("SELECT 1")

    async def model() -> None:
        await asyncio.to_thread(lambda: warm_up(res.chat_model()))

    names = ("postgres", "redis", "model")
    outcomes = await asyncio.gather(
        *(_bounded(check) for check in (postgres(), res.redis.ping(), model())), return_exceptions=True,
    )
    checks = {name: "ok" if outcome is None else f"error: {outcome}"
              for name, outcome in zip(names, outcomes, strict=True)}
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503, headers=None if ready else RETRY_UNAVAILABLE)


async def _bounded(check: Awaitable[object]) -> None:
    """None when `check` finished within CHECK_SECONDS; raises what it raised, or a timeout saying so."""
    try:
        await asyncio.wait_for(check, CHECK_SECONDS)
    except TimeoutError as exc:
        raise TimeoutError(f"no answer within {CHECK_SECONDS:g} s") from exc
