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
EMPTY_API_KEY = "empty X-Api-Key header: expected the key itself"
TWO_KEYS = "two different API keys: Authorization and X-Api-Key name different keys; send one"
MISSING_KEY = ("missing API key: send 'Authorization: Bearer <key>' or 'X-Api-Key: <key>' "
               "(create one with `mnemo keys create`)")
INVALID_KEY = "invalid, revoked or expired API key"


class MalformedKey(ValueError):
    """A key header is present but holds no usable key; the message says what to send."""


def bearer_key(authorization: str) -> str | None:
    """The key of an `Authorization: Bearer <key>` header (the scheme in any case); None otherwise."""
    scheme, _, key = authorization.partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


def presented_key(authorization: str | None, api_key: str | None) -> str | None:
    """The API key a request presents: `Authorization: Bearer <key>` (REST and OpenAI clients) or
    `X-Api-Key: <key>` (what the LangGraph SDK sends for `api_key=` and LANGGRAPH_API_KEY); None when
    neither header is there. MalformedKey when a header holds no key, or the two name different keys."""
    from_bearer = None
    if authorization:
        from_bearer = bearer_key(authorization)
        if from_bearer is None:
            raise MalformedKey(MALFORMED_AUTHORIZATION)
    from_header = None
    if api_key is not None:
        from_header = api_key.strip()
        if not from_header:
            raise MalformedKey(EMPTY_API_KEY)
    if from_bearer and from_header and from_bearer != from_header:
        raise MalformedKey(TWO_KEYS)
    return from_bearer or from_header


async def get_runtime(request: Request) -> AppRuntime:
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:  # mounted by the LangGraph server, whose lifespan is not ours
        runtime = await AppRuntime.shared(request.app.state.settings)
        request.app.state.runtime = runtime
    return runtime


Runtime = Annotated[AppRuntime, Depends(get_runtime)]


async def get_principal(request: Request, runtime: Runtime) -> Principal:
    """The caller from its API key (`Authorization: Bearer` or `X-Api-Key`); in local mode a request
    without one is the local user."""
    try:
        key = presented_key(request.headers.get("authorization"), request.headers.get("x-api-key"))
    except MalformedKey as exc:
        raise ApiError(401, str(exc)) from None
    if key is None:
        if runtime.local_principal is not None:
            return runtime.local_principal
        raise ApiError(401, MISSING_KEY)
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
