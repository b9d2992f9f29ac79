"""Every error leaves as JSON `{"error": {"code", "message"}}` with the right status, never a trace.

Under the OpenAI-compatible paths (server/routes/openai_compat.py) the same errors take OpenAI's shape,
`{"error": {"message", "type", "param", "code"}}`, which OpenAI clients parse."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import DataError, OperationalError
from psycopg_pool import PoolTimeout
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from memory.db import DatabaseUnavailable
from memory.threads import ThreadMoved, ThreadNotFound
from models.chat import AllModelsFailed

log = logging.getLogger(__name__)

STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 422: "invalid_request",
                429: "rate_limited", 503: "unavailable"}


class ApiError(Exception):
    """Raised by routes and dependencies for an answer other than success; `headers` go out with it
    (a 401 always asks for a Bearer key). Middleware, outside the exception handlers, sends `response()`."""

    def __init__(self, status: int, message: str, code: str | None = None, *,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or STATUS_CODES.get(status, "error")
        self.message = message
        self.headers = {"WWW-Authenticate": "Bearer", **(headers or {})} if status == 401 else headers

    def response(self, path: str = "") -> JSONResponse:
        """The answer; `path`: the request's, which decides the error's shape."""
        return error_response(path, self.status, self.code, self.message, self.headers)


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """What every error answer carries (the OpenAPI document declares it for each error status)."""

    error: ErrorDetail


# Declared on every router (server/app.py), so the OpenAPI document lists the errors a client can get.
ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "Bad request", 401: "Missing, malformed, invalid or revoked API key", 403: "Forbidden",
        404: "Not found", 409: "Conflict", 413: "Request body or message too large",
        422: "Invalid request (validation)", 429: "Rate limit exceeded; see Retry-After",
        503: "A service (PostgreSQL, Redis, the model) is unavailable",
    }.items()
}


DATABASE_DOWN = "the database is unavailable, retry later"
UNAVAILABLE_RETRY_SECONDS = 2
RETRY_UNAVAILABLE = {"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)}
DATABASE_ERRORS = (PoolTimeout, OperationalError, DatabaseUnavailable)


OPENAI_PATHS = ("/v1/chat/completions", "/v1/models")
OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 409: "conflict_error", 413: "invalid_request_error",
                422: "invalid_request_error", 429: "rate_limit_error"}
OPENAI_CODES = {"unauthorized": "invalid_api_key", "invalid_request": "invalid_request_error"}


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def is_openai_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in OPENAI_PATHS)


def openai_error_body(status: int, code: str, message: str) -> dict:
    kind = OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": OPENAI_CODES.get(code, code)}}


def error_response(path: str, status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """An error answer in the shape the path's clients read."""
    body = openai_error_body(status, code, message) if is_openai_path(path) else error_body(code, message)
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response(request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request.url.path, 422, "invalid_request", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "error")
        return error_response(request.url.path, exc.status_code, code, str(exc.detail))

    @app.exception_handler(ThreadNotFound)
    async def _no_thread(request: Request, exc: ThreadNotFound) -> JSONResponse:
        return error_response(request.url.path, 404, "not_found", "thread not found")

    @app.exception_handler(ThreadMoved)
    async def _moved(request: Request, exc: ThreadMoved) -> JSONResponse:
        return error_response(request.url.path, 409, "conflict", str(exc), {"Retry-After": "1"})

    @app.exception_handler(DataError)
    @app.exception_handler(UnicodeEncodeError)
    async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
        # Input that passed validation but that PostgreSQL cannot store: a NUL character, a lone UTF-16
        # surrogate, a number out of a column's range (SQLSTATE class 22). The caller's data, not a 500.
        log.info("refused unstorable input: %s", type(exc).__name__)
        message = ("the request holds text or numbers that cannot be stored "
                   "(NUL characters, unpaired surrogates, or out-of-range values)")
        return error_response(request.url.path, 422, "invalid_request", message)

    @app.exception_handler(PoolTimeout)
    @app.exception_handler(OperationalError)
    @app.exception_handler(DatabaseUnavailable)
    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return error_response(request.url.path, 503, "unavailable", DATABASE_DOWN, RETRY_UNAVAILABLE)

    @app.exception_handler(AllModelsFailed)
    async def _no_model(request: Request, exc: AllModelsFailed) -> JSONResponse:
        log.error("%s", exc)
        return error_response(request.url.path, 503, "unavailable", exc.summary(), RETRY_UNAVAILABLE)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request.url.path, 500, "internal_error", "internal error")
