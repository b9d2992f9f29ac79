"""Users and their API keys. Keys are random, shown once, and stored as SHA-256 hashes only."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection

KEY_PREFIX = "mnemo_"

ENSURE_USER_SQL = """
INSERT INTO users (tenant_id, user_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"""
INSERT_KEY_SQL = """
INSERT INTO api_keys (key_hash, prefix, tenant_id, user_id, name, expires_at)
VALUES (%s, %s, %s, %s, %s, %s)"""
AUTH_SQL = """
SELECT tenant_id, user_id FROM api_keys
WHERE key_hash = %s AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())"""


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
    """The key's owner, or None for an unknown, revoked or expired key."""
    row = await (await conn.execute(AUTH_SQL, (hash_key(key),))).fetchone()
    return None if row is None else Principal(row["tenant_id"], row["user_id"])
