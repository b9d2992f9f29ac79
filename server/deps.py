"""What a route needs, as annotated dependencies: the runtime, a connection, and the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from memory.users import Principal, authenticate
from server.errors import ApiError
from server.runtime import AppRuntime


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
    scheme, _, key = header.partition(" ")
    if not header:
        if runtime.local_principal is not None:
            return runtime.local_principal
        raise ApiError(401, "missing API key: send 'Authorization: Bearer <key>' (create one with `mnemo keys create`)")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "malformed Authorization header: expected 'Bearer <key>'")
    async with runtime.resources.pool.connection() as conn:  # no tenant yet: a SECURITY DEFINER lookup
        principal = await authenticate(conn, key.strip())
    if principal is None:
        raise ApiError(401, "invalid, revoked or expired API key")
    return principal


Caller = Annotated[Principal, Depends(get_principal)]
