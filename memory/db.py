"""The PostgreSQL connection pool, shared by Mnemo's stores and LangGraph's checkpointer.

Connections are autocommit with dict rows and statements prepared on first use (prepare_threshold=0),
as AsyncPostgresSaver's documentation sets them;
multi-row writes open an explicit transaction (`async with conn.transaction()`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

TENANT_SETTING = "mnemo.tenant_id"
CONNECT_KWARGS = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL cannot be used as configured; the message says what to change."""


def redact(url: str) -> str:
    """The URL without its password, for error messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


async def check_database(url: str) -> str:
    """Connect once and make sure pgvector is there; return the server version. Raises DatabaseUnavailable."""
    try:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            f"Cannot reach PostgreSQL at {redact(url)}: {str(exc).strip()}. "
            "Set DATABASE_URL to a reachable server, or unset it to use the embedded PostgreSQL."
        ) from exc
    async with conn:
        version = (await (await conn.execute("SHOW server_version")).fetchone())[0]
        available = await (
            await conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        ).fetchone()
        if available is None:
            raise DatabaseUnavailable(
                f"PostgreSQL {version} at {redact(url)} has no pgvector extension. Install pgvector on "
                "that server (https://github.com/pgvector/pgvector), point DATABASE_URL at one that has "
                "it, or unset DATABASE_URL to use the embedded PostgreSQL."
            )
    return version


async def _configure(conn: psycopg.AsyncConnection) -> None:
    await register_vector_async(conn)


async def open_pool(url: str, *, max_size: int = 10, min_size: int = 1) -> AsyncConnectionPool:
    """An open pool; pgvector must already be installed in the database (migrations do it)."""
    pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs=CONNECT_KWARGS,
        configure=_configure,
        open=False,
        name="mnemo",
    )
    await pool.open(wait=True, timeout=15)
    return pool


@asynccontextmanager
async def tenant_connection(pool: AsyncConnectionPool, tenant_id: str) -> AsyncIterator[psycopg.AsyncConnection]:
    """A pooled connection inside one transaction scoped to `tenant_id`.

    Row-level security reads the tenant from the transaction-local setting `mnemo.tenant_id`, so every
    statement of a request runs inside this block; nested `conn.transaction()` blocks become savepoints.
    """
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT set_config(%s, %s, true)", (TENANT_SETTING, tenant_id))
        yield conn
