"""The `Idempotency-Key` request header at the API edge (POST /v1/chat, POST /v1/threads/import).

Same key and same body: the first answer again, nothing run twice (marked `Idempotent-Replayed: true`).
Same key, other body: 422. Same key while the first request still runs: 409 with Retry-After. The
storage side (claims completed in the work's own transaction) is `memory.idempotency`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Header

from memory.db import tenant_connection
from memory.idempotency import (
    LEASE,
    MAX_KEY_LENGTH,
    Claim,
    KeyRef,
    claim_key,
    complete_key,
    release_key,
    renew_key,
    request_hash,
)
from memory.users import Principal
from server.errors import ApiError
from server.runtime import AppRuntime
from server.turn_lock import RETRY_AFTER_SECONDS

log = logging.getLogger(__name__)

# Left out of the OpenAPI parameters: schemathesis (hypothesis-jsonschema 0.23 on hypothesis 6.170) fails
# to generate any header parameter, which breaks tests/server/test_openapi_fuzz.py; the routes describe it.
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=MAX_KEY_LENGTH, include_in_schema=False,
)]
DESCRIPTION = (
    "Send an `Idempotency-Key` header (1-255 characters) to make a retry safe: the same key and body "
    "answer the first result again (header `Idempotent-Replayed: true`), another body with that key is a "
    "422, and while the first request runs a 409 with Retry-After. Keys are per user, kept 24 hours."
)
REPLAYED = {"Idempotent-Replayed": "true"}
STILL_RUNNING = "a request with this Idempotency-Key is still running; retry to get its answer"


def retry_later(message: str) -> ApiError:
    """409 with Retry-After: the same request (or another turn on the thread) is still running."""
    return ApiError(409, message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def claim_request(
    runtime: AppRuntime, caller: Principal, key: str, *, endpoint: str, body: dict[str, Any],
) -> Claim:
    """Claim the key for this request: `new` (run it, then complete `claim.ref`) or `replay` (answer
    `claim.response`). A key already used with another body is a 422; one whose request still runs, a 409."""
    async with tenant_connection(runtime.resources.pool, caller.tenant_id) as conn:
        claim = await claim_key(conn, tenant_id=caller.tenant_id, user_id=caller.user_id, key=key,
                                hash_=request_hash(endpoint, body))
    if claim.outcome == "mismatch":
        raise ApiError(422, "this Idempotency-Key was already used with a different request; "
                            "send a new key for a new request")
    if claim.outcome == "running":
        raise retry_later(STILL_RUNNING)
    return claim


async def release_request(runtime: AppRuntime, ref: KeyRef) -> None:
    """Free the key of a request that failed before committing, so the client's retry runs it."""
    try:
        async with tenant_connection(runtime.resources.pool, ref.tenant_id) as conn:
            await release_key(conn, ref)
    except Exception:  # the claim's lease frees it later
        log.exception("could not release Idempotency-Key claim %s", ref.claim)


@contextlib.asynccontextmanager
async def released_on_failure(runtime: AppRuntime, ref: KeyRef | None) -> AsyncIterator[None]:
    """Around work that commits with the claim: the claim is renewed while it runs, and released if it
    fails (or is cancelled)."""
    try:
        async with renewed(runtime, ref):
            yield
    except BaseException:
        if ref is not None:
            await release_request(runtime, ref)
        raise


@contextlib.asynccontextmanager
async def renewed(runtime: AppRuntime, ref: KeyRef | None) -> AsyncIterator[None]:
    """The claim stays this request's while the block runs: renewed every third of its lease, so a retry
    takes over a claim only once its request's process has died."""
    if ref is None:
        yield
        return

    async def renew() -> None:
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            try:
                async with tenant_connection(runtime.resources.pool, ref.tenant_id) as conn:
                    await renew_key(conn, ref)
            except Exception as exc:  # noqa: BLE001 - the lease runs out; the commit then finds the claim lost
                log.warning("could not renew Idempotency-Key claim %s: %s", ref.claim, exc)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()


async def store_answer(runtime: AppRuntime, ref: KeyRef, answer: dict[str, Any]) -> None:
    """Replace the stored answer of a completed request (what it learnt after its commit)."""
    async with tenant_connection(runtime.resources.pool, ref.tenant_id) as conn:
        await complete_key(conn, ref, answer)
