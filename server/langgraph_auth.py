"""The LangGraph server's authentication: the same API keys as the REST API, the same tenant boundary.

`langgraph.json` points `auth.path` here, so `langgraph dev` (and a deployed LangGraph server) accepts
`Authorization: Bearer <mnemo key>` or `X-Api-Key: <mnemo key>` (what the LangGraph SDK sends for
`get_client(api_key=...)`, `RemoteGraph(api_key=...)` and LANGGRAPH_API_KEY). The key's tenant and user reach
the graph as `config.configurable.langgraph_auth_user`, which `graphs.context.TurnContext` prefers over any
`tenant_id`/`user_id` a client puts in its config, so nobody can run a turn as someone else. Threads, runs and
crons are stamped with their owner and filtered by it: one user never sees another's thread.

A request without a key is the local user (tenant `default`, user `local`) in two cases: under
`MNEMO_LOCAL_MODE=true`, or under `langgraph dev` when it comes straight from this machine (a loopback
address, no proxy or tunnel header), which is how Studio in a local browser reaches the dev server. A dev
server bound to another address still asks every other machine for a key.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from langgraph_sdk import Auth

from core.config import get_settings
from graphs.resources import shared_resources
from memory.users import Principal, authenticate
from server.deps import INVALID_KEY, MISSING_KEY, MalformedKey, presented_key

auth = Auth()

OWNER = "owner"


def _user(principal: Principal) -> Auth.types.MinimalUserDict:
    identity = f"{principal.tenant_id}:{principal.user_id}"
    return {"identity": identity, "tenant_id": principal.tenant_id, "user_id": principal.user_id}  # type: ignore[typeddict-unknown-key]


def _unauthorized(detail: str) -> Auth.exceptions.HTTPException:
    return Auth.exceptions.HTTPException(status_code=401, detail=detail)


FORWARDING_HEADERS = (b"forwarded", b"x-forwarded-for", b"x-real-ip", b"cf-connecting-ip")


def from_this_machine(scope: dict, headers: dict[bytes, bytes]) -> bool:
    """The connection comes from a loopback address and nothing says it was relayed (a reverse proxy or
    `langgraph dev --tunnel` connects from loopback on behalf of others, and adds one of these headers)."""
    client = scope.get("client")
    if not client or any(name in headers for name in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


def under_langgraph_dev() -> bool:
    """`langgraph dev` sets this for the server it runs (langgraph_api.cli); a deployed server does not."""
    return os.environ.get("LANGSMITH_LANGGRAPH_API_VARIANT") == "local_dev"


def _header(headers: dict[bytes, bytes], name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value is not None else None


@auth.authenticate
async def authenticate_key(headers: dict[bytes, bytes], scope: dict) -> Auth.types.MinimalUserDict:
    settings = get_settings()
    headers = {name.lower(): value for name, value in headers.items()}
    try:
        key = presented_key(_header(headers, b"authorization"), _header(headers, b"x-api-key"))
    except MalformedKey as exc:
        raise _unauthorized(str(exc)) from None
    if key is None:
        if settings.local_mode or (under_langgraph_dev() and from_this_machine(scope, headers)):
            return _user(Principal(settings.local_tenant, settings.local_user))
        raise _unauthorized(MISSING_KEY)
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
