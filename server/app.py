"""The FastAPI app: `create_app()` with a lifespan owning the runtime; `app` for langgraph.json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import make_asgi_app

from core.config import Settings, get_settings
from server.errors import error_body, install_error_handlers
from server.routes import chat, graph, health, hints, memories, search, threads
from server.runtime import AppRuntime


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
            yield
        finally:
            await app.state.runtime.close()

    app = FastAPI(
        title="Mnemo", version="0.1.0", description="A conversational agent runtime with memory.",
        lifespan=lifespan if manage_runtime else None,
    )
    app.state.settings = settings
    app.state.runtime = runtime

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_request_bytes:
            return JSONResponse(
                error_body("payload_too_large", f"request body over {settings.max_request_bytes} bytes"),
                status_code=413,
            )
        return await call_next(request)

    install_error_handlers(app)
    for module in (health, chat, threads, search, memories, hints, graph):
        app.include_router(module.router)
    app.mount("/metrics", make_asgi_app())
    return app


# Served by `langgraph dev` through langgraph.json's http.app (the LangGraph server owns the lifespan).
app = create_app(manage_runtime=False)
