"""The HTTP edge, as plain ASGI middleware (no BaseHTTPMiddleware: streams pass through untouched and
the request id's context reaches the route and the graph it runs).

- `RequestContextMiddleware`: request id (X-Request-ID in or made, echoed out, on every log line),
  one access log line, per-route HTTP metrics, and a JSON 500 carrying the id for an unhandled error.
- `BodySizeMiddleware`: a declared Content-Length over the limit is refused before anything runs; a
  chunked body without a length is counted as the route reads it and refused once past the limit.
  (FastAPI's own `max_body_size` answers plain text in the first case, so it is not used.)
- `RateLimitMiddleware`: the per-key budget in Redis (server/ratelimit.py). Fails open when Redis is
  down or slow: the request passes unchecked (counted, logged once a minute), and the next ones pass
  without trying Redis for BREAKER_OPEN_S, so an outage costs at most CHECK_TIMEOUT_S now and then.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid

from fastapi import HTTPException
from fastapi.routing import iter_route_contexts
from redis.exceptions import RedisError
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logging import REQUEST_ID
from core.metrics import HTTP_ERRORS, HTTP_REQUESTS, HTTP_SECONDS, RATE_LIMIT_UNAVAILABLE, RATE_LIMITED
from memory.users import hash_key
from server.deps import MalformedKey, get_runtime, presented_key
from server.errors import ApiError, error_response
from server.ratelimit import Rate, RateLimiter

log = logging.getLogger("mnemo.http")
REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNLIMITED_PATHS = ("/healthz", "/readyz", "/metrics")
UNAVAILABLE_LOG_EVERY_S = 60.0
CHECK_TIMEOUT_S = 1.0  # a slow Redis may not slow every request down by its timeouts and retries
BREAKER_OPEN_S = 10.0  # after a failure, requests pass unchecked this long before Redis is tried again


def route_templates(app: ASGIApp) -> list[tuple[re.Pattern, str]]:
    """(regex, template) for every path of the app, included routers flattened."""
    paths = {ctx.path for ctx in iter_route_contexts(getattr(app, "routes", [])) if ctx.path}
    return [(compile_path(path)[0], path) for path in sorted(paths)]


def route_template(scope: Scope, templates: list[tuple[re.Pattern, str]]) -> str:
    """The matched route's path template; "unmatched" when no route matches. A request answered
    before routing (429, 413) is matched against `templates`, so it still counts under its route."""
    path = getattr(scope.get("route"), "path", None)
    if path is None:
        path = next((t for regex, t in templates if regex.match(scope["path"])), None)
    return path or "unmatched"


def request_id_from(headers: Headers) -> str:
    """The caller's id when it is a sane token (so it cannot forge log lines), else a new one."""
    given = headers.get(REQUEST_ID_HEADER)
    return given if given and VALID_REQUEST_ID.match(given) else uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._templates: list[tuple[re.Pattern, str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope))
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Handled here rather than by Starlette's outermost handler, so the line and the answer
            # both carry the request id.
            log.exception("unhandled error")
            status = 500
            if response_started:
                raise
            answer = error_response(scope["path"], 500, "internal_error", "internal error",
                                    {REQUEST_ID_HEADER: request_id})
            await answer(scope, receive, send)
        finally:
            elapsed = time.perf_counter() - started
            if self._templates is None and "route" not in scope:
                self._templates = route_templates(scope.get("app"))
            route, method = route_template(scope, self._templates or []), scope["method"]
            HTTP_REQUESTS.labels(route, method, str(status)).inc()
            if status >= 400:
                HTTP_ERRORS.labels(route, method, str(status)).inc()
            HTTP_SECONDS.labels(route).observe(elapsed)
            client = scope.get("client")
            log.info("%s %s %s", method, scope["path"], status, extra={
                "method": method, "path": scope["path"], "route": route, "status": status,
                "duration_ms": round(elapsed * 1000, 1), "client": client[0] if client else None,
            })
            REQUEST_ID.reset(token)


class BodySizeMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"request body over {self.max_bytes} bytes"
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await ApiError(413, message).response(scope["path"])(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI's HTTPException: the body reader re-raises it as is (any other error
                    # becomes a 400), and the error handlers answer it as JSON.
                    raise HTTPException(413, message)
            return event

        await self.app(scope, counting_receive, send)


def caller_identity(headers: Headers, scope: Scope, local_mode: bool) -> str:
    """Whose budget a request spends: the API key's hash, the local user, or else the client address."""
    try:
        key = presented_key(headers.get("authorization"), headers.get("x-api-key"))
    except MalformedKey:  # refused by the route; its budget is the client's address meanwhile
        key = None
    if key is not None:
        return "key:" + hash_key(key)
    if local_mode:
        return "local"
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, rate: Rate) -> None:
        self.app = app
        self.rate = rate
        self._limiter: RateLimiter | None = None
        self._last_warning = 0.0
        self._skip_until = 0.0

    async def _get_limiter(self, scope: Scope) -> RateLimiter:
        if self._limiter is None:  # the runtime may only exist after the first request
            runtime = await get_runtime(Request(scope))
            self._limiter = RateLimiter(runtime.resources.redis, self.rate)
        return self._limiter

    def _redis_failed(self, exc: Exception) -> None:
        now = time.monotonic()
        self._skip_until = now + BREAKER_OPEN_S
        if now - self._last_warning >= UNAVAILABLE_LOG_EVERY_S:
            self._last_warning = now
            log.warning("rate limit not checked, Redis unavailable (failing open): %s", exc)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or scope["path"].startswith(UNLIMITED_PATHS):
            await self.app(scope, receive, send)
            return
        if time.monotonic() < self._skip_until:
            RATE_LIMIT_UNAVAILABLE.inc()
            await self.app(scope, receive, send)
            return
        identity = caller_identity(Headers(scope=scope), scope, scope["app"].state.settings.local_mode)
        try:
            limiter = await self._get_limiter(scope)
            decision = await asyncio.wait_for(limiter.hit(identity), CHECK_TIMEOUT_S)
        except (RedisError, OSError, TimeoutError) as exc:
            RATE_LIMIT_UNAVAILABLE.inc()
            self._redis_failed(exc)
            await self.app(scope, receive, send)
            return
        limits = {"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(decision.remaining)}
        if not decision.allowed:
            RATE_LIMITED.inc()
            refusal = ApiError(429, f"rate limit of {self.rate} exceeded, retry in {decision.retry_after_s}s",
                               headers={**limits, "Retry-After": str(decision.retry_after_s)})
            await refusal.response(scope["path"])(scope, receive, send)
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(limits)
            await send(message)

        await self.app(scope, receive, send_with_limits)
