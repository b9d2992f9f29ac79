"""The FastAPI app: `create_app()` with a lifespan owning the runtime; `app` for langgraph.json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from core.config import Settings, get_settings
from hardware.watch import watching
from server.errors import ERROR_RESPONSES, install_error_handlers
from server.json_guard import JsonGuardMiddleware
from server.middleware import BodySizeMiddleware, RateLimitMiddleware, RequestContextMiddleware
from server.ratelimit import parse_rate
from server.routes import chat, graph, health, hints, me, memories, openai_compat, search, sessions, threads, usage
from server.runtime import AppRuntime
from server.web import install_web


def create_app(settings: Settings | None = None, *, runtime: AppRuntime | None = None,
               manage_runtime: bool = True) -> FastAPI:
    """The API. With `manage_runtime` the lifespan opens and closes the runtime (services, models);
    without it the runtime is opened on first use from the process-wide resources."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        app.state.runtime = await AppRuntime.open(settings, warm_model=True)
        try:
            async with watching(settings):  # process and GPU memory: gauges, and a warning when short
                yield
        finally:
            await mcp.close()
            await app.state.runtime.close()

    app = FastAPI(
        title="Mnemo", version="0.1.0", description="A conversational agent runtime with memory.",
        lifespan=lifespan if manage_runtime else None,
    )
    app.state.settings = settings
    app.state.runtime = runtime
    install_edge(app, settings)
    install_error_handlers(app)
    for module in (health, chat, openai_compat, threads, search, memories, hints, graph, me, usage, sessions):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    install_web(app)  # the pages: /, /memories, /graph, /usage
    for path in ("/metrics", "/metrics/"):  # answered at both, no redirect
        app.add_route(path, metrics, include_in_schema=False)
    mcp = LazyMcp(app, local_mode=settings.local_mode)
    for path in ("/mcp", "/mcp/"):
        app.router.routes.append(Route(path, mcp, methods=["GET", "POST", "DELETE"], include_in_schema=False))
    return app


class LazyMcp:
    """`/mcp` (server/memory_mcp.py), built on its first request: the `mcp` SDK takes 0.7 s to import,
    which processes that never serve it should not pay."""

    def __init__(self, app: FastAPI, *, local_mode: bool) -> None:
        self.app, self.local_mode = app, local_mode
        self.endpoint = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.endpoint is None:
            from server.memory_mcp import McpHttpEndpoint

            self.endpoint = McpHttpEndpoint(self.app, local_mode=self.local_mode)
        await self.endpoint(scope, receive, send)

    async def close(self) -> None:
        if self.endpoint is not None:
            await self.endpoint.close()


async def metrics(request: Request) -> Response:
    """Prometheus exposition of this process's series."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def install_edge(app: FastAPI, settings: Settings) -> None:
    """Middleware, outermost first: CORS (so errors carry its headers too), request id + access log +
    metrics, declared body size, per-key rate limit, JSON bodies that could not be stored."""
    rate = parse_rate(settings.rate_limit)  # a bad setting fails at startup, not on the first request
    app.add_middleware(JsonGuardMiddleware)  # innermost: reads bodies BodySizeMiddleware already bounds
    if rate is not None:
        app.add_middleware(RateLimitMiddleware, rate=rate)
    app.add_middleware(BodySizeMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestContextMiddleware)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=origins, allow_methods=["*"], allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"],
        )


# Served by `langgraph dev` through langgraph.json's http.app (the LangGraph server owns the lifespan).
app = create_app(manage_runtime=False)
