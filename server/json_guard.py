"""JSON request bodies that could not be stored, or read back, are refused at the edge with a 422.

Validation accepts any JSON string and any nesting, but PostgreSQL cannot store a NUL character or a
lone UTF-16 surrogate (`"\\ud800"` is valid JSON, not valid UTF-8), and a value nested hundreds of
levels deep was stored and then broke every later read of the row (JSON encoders recurse). So every
JSON body is read once here, before routing: at most MAX_DEPTH levels of objects and arrays, and no
string (key or value) holding NUL or a lone surrogate. A body that is not JSON at all passes through,
for the route's own validation error.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import ApiError

MAX_DEPTH = 32
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def problem(value: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """Why `value` (parsed JSON) cannot be accepted, or None."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return f"JSON nested deeper than {max_depth} levels"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            if "\x00" in item:
                return "a string holds a NUL character (\\u0000), which cannot be stored"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "a string holds a lone UTF-16 surrogate (such as \\ud800), which is not valid Unicode"
    return None


def body_problem(body: bytes) -> str | None:
    if not body:
        return None
    try:
        value = json.loads(body)
    except RecursionError:
        return f"JSON nested deeper than {MAX_DEPTH} levels"
    except ValueError:  # not JSON: the route's validation says so
        return None
    return problem(value)


class JsonGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WITH_BODY or \
                "json" not in Headers(scope=scope).get("content-type", ""):
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            try:
                event = await receive()
            except HTTPException as exc:  # BodySizeMiddleware: over the limit (raised for FastAPI's reader)
                await ApiError(exc.status_code, str(exc.detail)).response(scope["path"])(scope, receive, send)
                return
            if event["type"] != "http.request":  # the client left: let the app see it
                await self.app(scope, _replay([], event, receive), send)
                return
            chunks.append(event.get("body", b""))
            more = event.get("more_body", False)
        body = b"".join(chunks)
        reason = body_problem(body)
        if reason is not None:
            await ApiError(422, reason).response(scope["path"])(scope, receive, send)
            return
        await self.app(scope, _replay([body], None, receive), send)


def _replay(bodies: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then defers to the client's."""
    queue: list[Message] = [{"type": "http.request", "body": b, "more_body": False} for b in bodies]
    if pending is not None:
        queue.append(pending)

    async def replayed() -> Message:
        return queue.pop(0) if queue else await receive()

    return replayed
