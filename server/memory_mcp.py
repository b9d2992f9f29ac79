"""Mnemo's memory as Model Context Protocol tools: `mnemo mcp` (stdio) and `/mcp` on the API (streamable HTTP).

Agents outside LangGraph (desktop assistants, IDE agents) then read and write the same memory as the chat.
Each tool calls the REST API in-process (httpx over ASGI) with the caller's own key, so validation, tenancy,
row-level security, the preference cache's write-through and the error messages are the API's, not a
second copy of them. Over HTTP the key comes with each request (`Authorization: Bearer` or `X-Api-Key`)
and is checked before MCP reads the request; over stdio it is `mnemo mcp --key` (or MNEMO_API_KEY), or
none in local mode. Built on the official `mcp` SDK (2.x: `MCPServer`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from typing import Any, Literal

import httpx
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from memory.extract_rules import Category
from server.deps import get_principal, get_runtime
from server.errors import ApiError

KEY_HEADERS = ("authorization", "x-api-key")
INSTRUCTIONS = (
    "Long-term memory of one user, shared with their Mnemo chats. Call memory_context first for what is "
    "known about them (profile, preferences, constraints); search_memory for anything else. Save a lasting "
    "fact with add_memory, fix a wrong one with correct_memory, and forget_memory when the user asks."
)


def build_server(app: ASGIApp, key_headers: Callable[[Context], Mapping[str, str]]) -> MCPServer:
    """The MCP server whose tools call `app`'s REST API with the headers `key_headers` finds for a call."""
    server = MCPServer("mnemo", title="Mnemo memory", instructions=INSTRUCTIONS, version="0.1.0")

    async def api(ctx: Context, method: str, path: str, **kwargs: Any) -> Any:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mnemo",
                                     timeout=60) as http:
            r = await http.request(method, path, headers=dict(key_headers(ctx)), **kwargs)
        if r.status_code >= 400:
            try:
                message = r.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = r.text or r.reason_phrase
            raise ToolError(f"{r.status_code}: {message}")
        return r.json() if r.content else None

    @server.tool(description="What is known about the user that every answer should respect: profile, "
                             "preferences and constraints, one line each.")
    async def memory_context(ctx: Context) -> str:
        by_category = await api(ctx, "GET", "/v1/memories/context")
        lines = [f"- {m['content']}" for rows in by_category.values() for m in rows]
        return "\n".join(lines) or "Nothing is known about this user yet."

    @server.tool(description="Search the user's memories and past messages by meaning and by words, best first.")
    async def search_memory(query: str, ctx: Context, k: int = 8) -> list[dict]:
        found = await api(ctx, "POST", "/v1/search", json={"query": query, "k": k})
        return [{key: hit.get(key) for key in ("type", "id", "content", "score", "category", "thread_id",
                                               "created_at")} for hit in found["results"]]

    @server.tool(description="The user's current memories, newest first, optionally of one category.")
    async def list_memories(ctx: Context, category: Category | None = None, limit: int = 50) -> list[dict]:
        params: dict[str, Any] = {"limit": limit} | ({"category": category} if category else {})
        page = await api(ctx, "GET", "/v1/memories", params=params)
        return [{key: m.get(key) for key in ("id", "category", "key", "value", "polarity", "content", "created_at")}
                for m in page["items"]]

    @server.tool(description="Remember a lasting fact about the user. key: dotted lowercase, such as "
                             "'preference.music' or 'profile.location'; polarity 'negative' for a dislike.")
    async def add_memory(category: Category, key: str, value: str, ctx: Context,
                         polarity: Literal["positive", "negative"] = "positive") -> dict:
        return await api(ctx, "POST", "/v1/memories",
                         json={"category": category, "key": key, "value": value, "polarity": polarity})

    @server.tool(description="Correct a memory's value (the old one is kept in its history, with the reason).")
    async def correct_memory(memory_id: str, value: str, ctx: Context, reason: str | None = None) -> dict:
        body = {"value": value} | ({"reason": reason} if reason else {})
        return await api(ctx, "PATCH", f"/v1/memories/{memory_id}", json=body)

    @server.tool(description="Forget a memory for good (it leaves the context and every search).")
    async def forget_memory(memory_id: str, ctx: Context) -> str:
        await api(ctx, "DELETE", f"/v1/memories/{memory_id}")
        return f"forgotten: {memory_id}"

    return server


def request_key_headers(ctx: Context) -> dict[str, str]:
    """The key headers of the HTTP request that carried this call."""
    headers = ctx.headers or {}
    return {name: headers[name] for name in KEY_HEADERS if headers.get(name)}


class McpHttpEndpoint:
    """`/mcp` on the API: the caller's key is checked first (401 in the API's shape), then MCP's streamable
    HTTP transport answers (stateless, JSON). Its session manager starts with the first request and stops
    with the app."""

    def __init__(self, app: ASGIApp, *, local_mode: bool) -> None:
        self.server = build_server(app, request_key_headers)
        # Without keys (local mode), a web page could reach a local server through DNS rebinding: then
        # only requests naming this machine as their host are served.
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=local_mode,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
        )
        self.server.streamable_http_app(stateless_http=True, json_response=True, transport_security=security)
        self._started: asyncio.Future[None] | None = None
        self._stop = asyncio.Event()
        self._runner: asyncio.Task | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            await get_principal(request, await get_runtime(request))
        except ApiError as exc:
            await exc.response(scope["path"])(scope, receive, send)
            return
        await self._running()
        await self.server.session_manager.handle_request(scope, receive, send)

    async def _running(self) -> None:
        if self._started is None:
            self._started = asyncio.get_running_loop().create_future()
            self._runner = asyncio.create_task(self._run(self._started), name="mcp session manager")
        await asyncio.shield(self._started)

    async def _run(self, started: asyncio.Future[None]) -> None:
        try:
            async with self.server.session_manager.run():
                started.set_result(None)
                await self._stop.wait()
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            raise

    async def close(self) -> None:
        self._stop.set()
        if self._runner is not None:
            await asyncio.gather(self._runner, return_exceptions=True)


async def serve_stdio(settings: Any, key: str | None) -> None:
    """`mnemo mcp`: the tools over stdin/stdout, on this process's own resources."""
    from server.app import create_app
    from server.runtime import AppRuntime

    saved = os.dup(1)  # nothing but MCP may reach stdout: what starting the services prints goes to stderr
    os.dup2(2, 1)
    try:
        runtime = await AppRuntime.open(settings)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    try:
        if key is None and runtime.local_principal is None:
            raise SystemExit("mnemo mcp needs an API key: --key or MNEMO_API_KEY (create one with `mnemo keys "
                             "create`), or local mode (MNEMO_LOCAL_MODE=true) for the local user")
        headers = {"authorization": f"Bearer {key}"} if key else {}
        server = build_server(create_app(settings, runtime=runtime), lambda ctx: headers)
        await server.run_stdio_async()
    finally:
        await runtime.close()
