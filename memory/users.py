"""Users and their API keys. Keys are random, shown once, and stored as SHA-256 hashes only.

Everything here runs inside `tenant_connection` (row-level security) except `authenticate` and
`key_tenants`, which run before a tenant is known and go through SECURITY DEFINER functions
(migrations/004_tenancy.sql) that return only what the caller needs.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg import AsyncConnection

KEY_PREFIX = "mnemo_"

# Two int4 keys: a space apart from the migrations' single bigint key.
USER_LOCK_CLASS = 0x6D656D
USER_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"


async def lock_user(conn: AsyncConnection, *, tenant_id: str, user_id: str) -> None:
    """Serialize the transactions that write one user's memories and session, until this one ends.

    Call it first in such a transaction, before any row lock. Without it, concurrent turns of one user
    (on different threads, or a turn beside a worker's job) locked the same memory rows in different
    orders and waited on each other's unique-index inserts: PostgreSQL broke the deadlocks by failing
    turns (16 clients of one user: 31 turns answered 503 in the first 600). Re-entrant: taking it again in
    the same transaction returns at once."""
    await conn.execute(USER_LOCK_SQL, (USER_LOCK_CLASS, f"{tenant_id}\x1f{user_id}"))


ENSURE_USER_SQL = """
INSERT INTO users (tenant_id, user_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"""
INSERT_KEY_SQL = """
INSERT INTO api_keys (key_hash, prefix, tenant_id, user_id, name, expires_at)
VALUES (%s, %s, %s, %s, %s, %s)"""
AUTH_SQL = "SELECT tenant_id, user_id FROM mnemo_authenticate(%s)"
KEY_TENANTS_SQL = "SELECT id, tenant_id FROM mnemo_key_tenants(%s)"
LIST_KEYS_SQL = """
SELECT id, prefix, tenant_id, user_id, name, created_at, expires_at, revoked_at FROM api_keys
WHERE tenant_id = %(tenant)s AND (%(user)s::text IS NULL OR user_id = %(user)s)
ORDER BY created_at, id"""
REVOKE_KEY_SQL = """
UPDATE api_keys SET revoked_at = now()
WHERE tenant_id = %(tenant)s AND (id::text = lower(%(key)s) OR prefix = %(key)s)
RETURNING id, prefix, tenant_id, user_id, name, created_at, expires_at, revoked_at"""


@dataclass(frozen=True)
class Principal:
    """Who is calling: every query is scoped by both fields."""

    tenant_id: str
    user_id: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def ensure_user(conn: AsyncConnection, *, tenant_id: str, user_id: str) -> None:
    await conn.execute(ENSURE_USER_SQL, (tenant_id, user_id))


async def create_api_key(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, name: str | None = None,
    expires_at: datetime | None = None,
) -> str:
    """Create the user if needed and a new key for them; return the key (the only time it is seen)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    async with conn.transaction():
        await ensure_user(conn, tenant_id=tenant_id, user_id=user_id)
        await conn.execute(INSERT_KEY_SQL, (hash_key(key), key[:10], tenant_id, user_id, name, expires_at))
    return key


async def authenticate(conn: AsyncConnection, key: str) -> Principal | None:
    """The key's owner, or None for an unknown, revoked or expired key (no tenant needed on `conn`)."""
    row = await (await conn.execute(AUTH_SQL, (hash_key(key),))).fetchone()
    return None if row is None else Principal(row["tenant_id"], row["user_id"])


async def key_tenants(conn: AsyncConnection, id_or_prefix: str) -> list[tuple[UUID, str]]:
    """(key id, tenant) of the keys whose id or listed prefix is `id_or_prefix`, across tenants."""
    rows = await (await conn.execute(KEY_TENANTS_SQL, (id_or_prefix,))).fetchall()
    return [(r["id"], r["tenant_id"]) for r in rows]


async def list_keys(conn: AsyncConnection, *, tenant_id: str, user_id: str | None = None) -> list[dict]:
    """The tenant's keys (one user's if given), oldest first; never the key or its hash."""
    return await (await conn.execute(LIST_KEYS_SQL, {"tenant": tenant_id, "user": user_id})).fetchall()


async def revoke_key(conn: AsyncConnection, *, tenant_id: str, id_or_prefix: str) -> list[dict]:
    """Revoke the tenant's keys with this id or prefix (kept, for the audit trail); return them.
    Revoking again moves revoked_at forward and changes nothing else."""
    return await (await conn.execute(REVOKE_KEY_SQL, {"tenant": tenant_id, "key": id_or_prefix})).fetchall()
