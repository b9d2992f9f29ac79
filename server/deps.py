"""What a route needs, as annotated dependencies: the runtime, a connection, and the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from psycopg import AsyncConnection

from memory.threads import get_thread
from memory.users import Principal, authenticate
from server.errors import ApiError
from server.runtime import AppRuntime

MALFORMED_AUTHORIZATION = "malformed Authorization header: expected 'Bearer <key>'"
INVALID_KEY = "invalid, revoked or expired API key"


def bearer_key(authorization: str) -> str | None:
    """The key of an `Authorization: Bearer <key>` header (the scheme in any case); None otherwise."""
    scheme, _, key = authorization.partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


async def get_runtime(request: Request) -> AppRuntime:
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:  # mounted by the LangGraph server, whose lifespan is not ours
        runtime = await AppRuntime.shared(request.app.state.settings)
        request.app.state.runtime = runtime
    return runtime


Runtime = Annotated[AppRuntime, Depends(get_runtime)]


async def get_principal(request: Request, runtime: Runtime) -> Principal:
    """The caller from `Authorization: Bearer <key>`; in local mode a missing header is the local user."""
    header = request.headers.get("authorization", "")
    if not header:
        if runtime.local_principal is not None:
            return runtime.local_principal
        raise ApiError(401, "missing API key: send 'Authorization: Bearer <key>' (create one with `mnemo keys create`)")
    key = bearer_key(header)
    if key is None:
        raise ApiError(401, MALFORMED_AUTHORIZATION)
    async with runtime.resources.pool.connection() as conn:  # no tenant yet: a SECURITY DEFINER lookup
        principal = await authenticate(conn, key)
    if principal is None:
        raise ApiError(401, INVALID_KEY)
    return principal


Caller = Annotated[Principal, Depends(get_principal)]


async def owned_thread(conn: AsyncConnection, caller: Principal, thread_id: str) -> dict:
    """The caller's thread; 404 for an unknown one, or someone else's."""
    thread = await get_thread(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, thread_id=thread_id)
    if thread is None:
        raise ApiError(404, f"thread {thread_id} not found")
    return thread
