"""The PostgreSQL connection pool, shared by Mnemo's stores and LangGraph's checkpointer.

Connections are autocommit with dict rows and statements prepared on first use (prepare_threshold=0),
as AsyncPostgresSaver's documentation sets them;
multi-row writes open an explicit transaction (`async with conn.transaction()`).

Every pooled connection runs as the application role `mnemo_app` (migrations/004_tenancy.sql), which
row-level security binds to the tenant set by `tenant_connection`. Migrations, the checkpointer's and
the queue's tables are created by the owner's connection (`admin_url`), never by the pool.
See docs/security.md for which setups make the role impossible to leave.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg import sql
from psycopg.abc import Query
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

TENANT_SETTING = "mnemo.tenant_id"
RECONNECT_SECONDS = 2.0
APP_ROLE = "mnemo_app"
# connect_timeout: a server that does not answer (a host gone, not a refused port) fails a new connection
# in seconds, not minutes.
CONNECT_KWARGS = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row, "connect_timeout": 3}


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


def login_as(url: str, role: str) -> str:
    """The same server and database, logged in as `role` (the embedded server trusts local logins)."""
    return make_conninfo(url, user=role)


async def execute_as_owner(admin_url: str, statement: Query) -> None:
    """One maintenance statement the application role may not run (ANALYZE: only the owner can)."""
    async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as conn:
        await conn.execute(statement)


async def allow_app_login(admin_url: str) -> None:
    """Let `mnemo_app` log in: for the embedded server, whose app pool then connects as the role itself,
    so no statement of the app can RESET ROLE back to the superuser."""
    await execute_as_owner(admin_url, sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(APP_ROLE)))


@asynccontextmanager
async def copy_rows(conn: psycopg.AsyncConnection, table: str, columns: list[str]) -> AsyncIterator[psycopg.AsyncCopy]:
    """Bulk-load rows into `table` inside the caller's transaction: PostgreSQL refuses COPY FROM on a
    table with row-level security, so the rows are copied into a temporary table, then inserted with
    one INSERT ... SELECT that the policy checks row by row."""
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    staging = sql.Identifier(f"copy_{table}")
    await conn.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
        staging, names, sql.Identifier(table)))
    async with conn.cursor() as cur, cur.copy(
        sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(staging, names)
    ) as copy:
        yield copy
    await conn.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
        sql.Identifier(table), names, names, staging))
    await conn.execute(sql.SQL("DROP TABLE {}").format(staging))


async def _configure(conn: psycopg.AsyncConnection) -> None:
    # A no-op when the login is mnemo_app; otherwise the owner's (or a member's) session acts as it.
    await conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(APP_ROLE)))
    await register_vector_async(conn)


async def open_pool(
    url: str, *, max_size: int = 10, min_size: int = 1, timeout: float = 2,
) -> AsyncConnectionPool:
    """An open pool acting as mnemo_app; migrations must have run (they install pgvector and the role).

    `timeout` bounds the wait for a connection (PoolTimeout, a 503 at the API), so an outage answers fast.
    Each connection is checked as it leaves the pool, so once PostgreSQL is back after a restart the
    connections it broke are replaced on their next use instead of failing one request each. The pool's
    own reconnection backs off exponentially without a cap (1, 2, 4, 8, 16 s...), so after a long outage
    its next try could come many seconds after PostgreSQL is back: it gives up after RECONNECT_SECONDS
    instead, and the next request that needs a connection starts a new try at once.
    """
    pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs=CONNECT_KWARGS,
        configure=_configure,
        check=AsyncConnectionPool.check_connection,
        timeout=timeout,
        reconnect_timeout=RECONNECT_SECONDS,
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
    if not tenant_id:  # '' is what the setting reads once a transaction that set it has ended
        raise ValueError("tenant_connection needs a tenant id")
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT set_config(%s, %s, true)", (TENANT_SETTING, tenant_id))
        yield conn
