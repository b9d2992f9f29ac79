"""Idempotency keys: a retried request (same `Idempotency-Key`, same body) gets the first answer again
instead of running twice.

A request first *claims* its key (one row, status 'running', with a claim id). The work then completes
the claim in the same transaction that writes its rows (the turn's persist step, the import's
transaction), storing the answer; so after a crash between that commit and the answer, the retry finds
the stored answer and never writes a second turn. A request that fails before its commit releases the
claim, and a claim left 'running' by a crashed process may be taken over by a retry after `LEASE` (a
running request renews its claim every third of that: `renew_key`);
a taken-over claim can no longer be completed by its old owner (the claim id changed), so the two can
never both commit.

Keys are per caller (tenant and user), at most 255 characters, kept `KEEP` (24 hours). Every function
takes a connection scoped to the caller's tenant (`memory.db.tenant_connection`): the table has
row-level security.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

KEEP = timedelta(hours=24)
LEASE = timedelta(seconds=6)  # a running claim not renewed for this long was left by a crashed process
MAX_KEY_LENGTH = 255
CONFIG_KEY = "idempotency"
"""`config.configurable[CONFIG_KEY]` carries {key, claim} from the API to the persist node."""

# Insert the claim; or take over an expired key (any body) or a stale running claim of the same body.
CLAIM_SQL = """
INSERT INTO idempotency_keys AS k (tenant_id, user_id, key, request_hash, status, claim)
VALUES (%(tenant_id)s, %(user_id)s, %(key)s, %(hash)s, 'running', %(claim)s)
ON CONFLICT (tenant_id, user_id, key) DO UPDATE
SET request_hash = EXCLUDED.request_hash, status = 'running', claim = EXCLUDED.claim, response = NULL,
    created_at = now()
WHERE k.created_at < now() - %(keep)s
   OR (k.status = 'running' AND k.request_hash = EXCLUDED.request_hash AND k.created_at < now() - %(lease)s)
RETURNING claim"""
READ_SQL = """
SELECT request_hash, status, response FROM idempotency_keys
WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s AND key = %(key)s"""
PURGE_SQL = """
DELETE FROM idempotency_keys
WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s AND created_at < now() - %(keep)s"""
COMPLETE_SQL = """
UPDATE idempotency_keys SET status = 'completed', response = %(response)s
WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s AND key = %(key)s AND claim = %(claim)s"""
RENEW_SQL = """
UPDATE idempotency_keys SET created_at = now()
WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s AND key = %(key)s AND claim = %(claim)s
  AND status = 'running'"""
RELEASE_SQL = """
DELETE FROM idempotency_keys
WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s AND key = %(key)s AND claim = %(claim)s
  AND status = 'running'"""


class ClaimLost(RuntimeError):
    """The claim was taken over (its lease ran out) or purged: this request must not commit its work."""


@dataclass(frozen=True)
class KeyRef:
    """One claimed key: what the work needs to complete or release it."""

    tenant_id: str
    user_id: str
    key: str
    claim: str

    def config(self) -> dict[str, str]:
        """For `config.configurable[CONFIG_KEY]` of a turn."""
        return {"key": self.key, "claim": self.claim}


@dataclass(frozen=True)
class Claim:
    """`new`: this request runs (ref set); `replay`: answer with `response`; `running`: the first
    request is still working; `mismatch`: the key was used with another body."""

    outcome: Literal["new", "replay", "running", "mismatch"]
    ref: KeyRef | None = None
    response: dict[str, Any] | None = None


def request_hash(endpoint: str, body: dict[str, Any]) -> str:
    """sha256 of the endpoint and the body in canonical JSON (sorted keys), so key order doesn't matter."""
    canonical = json.dumps({"endpoint": endpoint, "body": body}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim_key(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, key: str, hash_: str, lease: timedelta = LEASE,
) -> Claim:
    """Claim `key` for a request whose body hashes to `hash_`, or say why not. A running claim not renewed
    for `lease` was left by a crashed process and is taken."""
    owner = {"tenant_id": tenant_id, "user_id": user_id, "keep": KEEP}
    await conn.execute(PURGE_SQL, owner)
    params = {**owner, "key": key, "hash": hash_, "claim": uuid.uuid4(), "lease": lease}
    row = await (await conn.execute(CLAIM_SQL, params)).fetchone()
    if row is not None:
        return Claim("new", KeyRef(tenant_id, user_id, key, str(row["claim"])))
    found = await (await conn.execute(READ_SQL, params)).fetchone()
    if found is None:  # released by its failed request a moment ago: the client may retry
        return Claim("running")
    if found["request_hash"] != hash_:
        return Claim("mismatch")
    if found["status"] == "completed":
        return Claim("replay", response=found["response"])
    return Claim("running")


async def complete_key(conn: AsyncConnection, ref: KeyRef, response: dict[str, Any]) -> None:
    """Store the answer; call it in the transaction that commits the work. Raises ClaimLost (rolling
    that transaction back) when the claim is no longer this request's."""
    cur = await conn.execute(COMPLETE_SQL, {
        "tenant_id": ref.tenant_id, "user_id": ref.user_id, "key": ref.key, "claim": ref.claim,
        "response": Jsonb(response, dumps=_dumps),
    })
    if cur.rowcount != 1:
        raise ClaimLost(ref.key)


async def renew_key(conn: AsyncConnection, ref: KeyRef) -> None:
    """Keep a running claim this request's own for another LEASE."""
    await conn.execute(RENEW_SQL, {"tenant_id": ref.tenant_id, "user_id": ref.user_id, "key": ref.key,
                                   "claim": ref.claim})


async def release_key(conn: AsyncConnection, ref: KeyRef) -> None:
    """Forget a claim whose request failed before committing anything, so a retry can run."""
    await conn.execute(RELEASE_SQL, {"tenant_id": ref.tenant_id, "user_id": ref.user_id, "key": ref.key,
                                     "claim": ref.claim})


def key_of(config: Mapping[str, Any] | None, *, tenant_id: str, user_id: str) -> KeyRef | None:
    """The claimed key a turn's config (`configurable[CONFIG_KEY]`) carries, if any."""
    data = ((config or {}).get("configurable") or {}).get(CONFIG_KEY)
    if not data:
        return None
    return KeyRef(tenant_id, user_id, str(data["key"]), str(data["claim"]))


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)
