"""Liveness and readiness."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from models.registry import warm_up
from server.deps import Runtime

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(runtime: Runtime) -> JSONResponse:
    """PostgreSQL, Redis and the chat model each answer, or 503 saying which does not."""
    res = runtime.resources
    checks: dict[str, str] = {}
    try:
        async with res.pool.connection(timeout=3) as conn:
            await conn.execute("SELECT 1")
        checks["postgres"] = "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure
        checks["postgres"] = f"error: {exc}"
    try:
        await asyncio.wait_for(res.redis.ping(), 3)
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {exc}"
    try:
        await asyncio.to_thread(lambda: warm_up(res.chat_model()))
        checks["model"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["model"] = f"error: {exc}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503)
