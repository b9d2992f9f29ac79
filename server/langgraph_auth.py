"""The LangGraph server's authentication: the same API keys as the REST API, the same tenant boundary.

`langgraph.json` points `auth.path` here, so `langgraph dev` (and a deployed LangGraph server) accepts only
`Authorization: Bearer <mnemo key>`. The key's tenant and user reach the graph as
`config.configurable.langgraph_auth_user`, which `graphs.context.TurnContext` prefers over any
`tenant_id`/`user_id` a client puts in its config, so nobody can run a turn as someone else. Threads, runs and
crons are stamped with their owner and filtered by it: one user never sees another's thread.
With `MNEMO_LOCAL_MODE=true` a request without a key is the local user (for Studio on a developer's machine).
"""

from __future__ import annotations

from typing import Any

from langgraph_sdk import Auth

from core.config import get_settings
from graphs.resources import shared_resources
from memory.users import Principal, authenticate
from server.deps import INVALID_KEY, MALFORMED_AUTHORIZATION, bearer_key

auth = Auth()

OWNER = "owner"


def _user(principal: Principal) -> Auth.types.MinimalUserDict:
    identity = f"{principal.tenant_id}:{principal.user_id}"
    return {"identity": identity, "tenant_id": principal.tenant_id, "user_id": principal.user_id}  # type: ignore[typeddict-unknown-key]


def _unauthorized(detail: str) -> Auth.exceptions.HTTPException:
    return Auth.exceptions.HTTPException(status_code=401, detail=detail)


@auth.authenticate
async def authenticate_key(authorization: str | None) -> Auth.types.MinimalUserDict:
    settings = get_settings()
    if not authorization:
        if settings.local_mode:
            return _user(Principal(settings.local_tenant, settings.local_user))
        raise _unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    key = bearer_key(authorization)
    if key is None:
        raise _unauthorized(MALFORMED_AUTHORIZATION)
    resources = await shared_resources()
    async with resources.pool.connection() as conn:
        principal = await authenticate(conn, key)
    if principal is None:
        raise _unauthorized(INVALID_KEY)
    return _user(principal)


@auth.on.assistants
async def assistants(ctx: Auth.types.AuthContext, value: Any) -> bool:
    """The turn graph's assistant is shared by everyone; reading it is allowed, changing it is not."""
    return ctx.action in ("read", "search")


@auth.on
async def owned(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType:
    """Threads, runs and crons: created with the caller as owner, and only the caller's are visible."""
    if isinstance(value, dict) and ctx.action == "create":
        value.setdefault("metadata", {})
        if isinstance(value["metadata"], dict):
            value["metadata"][OWNER] = ctx.user.identity
    return {OWNER: ctx.user.identity}


@auth.on.store
async def store(ctx: Auth.types.AuthContext, value: Any) -> None:
    """The key-value store (unused by Mnemo) is namespaced by owner."""
    namespace = tuple(value.get("namespace") or ())
    if not namespace or namespace[0] != ctx.user.identity:
        value["namespace"] = (ctx.user.identity, *namespace)
