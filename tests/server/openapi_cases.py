"""Cases from schemathesis for the app's OpenAPI document, sent through the tests' httpx ASGI client:
shared by the stateless fuzz (test_openapi_fuzz.py) and the stateful walk (test_stateful_fuzz.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

BASE_URL = "http://mnemo.test"  # what tests.conftest.asgi_client talks to
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
LAST = ("DELETE /v1/me",)  # forgets the caller (and its key): run after everything else


def draw_cases(strategy, count: int) -> list:
    """Up to `count` cases from a schemathesis strategy, reproducibly (no shrinking, no example database)."""
    cases: list = []

    @settings(max_examples=count, database=None, deadline=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(case) -> None:
        cases.append(case)

    try:
        collect()
    except Unsatisfiable:  # nothing to make invalid (an operation without inputs, in negative mode)
        pass
    return cases


def negatable(document: dict, operation) -> bool:
    """Whether schemathesis can make an invalid case: not when a path parameter is any string (every
    segment is valid, and it then searches for seconds and finds nothing)."""
    params = document["paths"][operation.path][operation.method.lower()].get("parameters", [])
    return not any(p["in"] == "path" and set(p["schema"]) <= {"type", "title"} for p in params)


def httpx_kwargs(case, headers: dict[str, str]) -> dict[str, Any]:
    """The request schemathesis would send (requests-style keywords), as httpx keywords."""
    kw = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    out = {k: kw[k] for k in ("method", "url", "headers", "params") if kw.get(k) is not None}
    # Generated header values may be non-ASCII: sent as UTF-8 bytes, as a raw HTTP client would.
    out["headers"] = {k: v if v.isascii() else v.encode() for k, v in out.get("headers", {}).items()}
    if "json" in kw:
        out["json"] = kw["json"]
    elif kw.get("data") is not None:
        out["content" if isinstance(kw["data"], bytes | str) else "data"] = kw["data"]
    return out
