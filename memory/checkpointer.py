"""LangGraph's own PostgreSQL checkpointer on Mnemo's pool (langgraph.json's context manager, which
reaches the process's shared resources, is `graphs.resources.langgraph_checkpointer`)."""

from __future__ import annotations

import psycopg
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg_pool import AsyncConnectionPool

from memory.db import CONNECT_KWARGS
from memory.migrate import migration_lock


async def setup_checkpointer(admin_url: str) -> None:
    """Create or upgrade the checkpointer's tables as the owner, under the migrations' advisory lock:
    setup() is idempotent but not concurrent (processes starting together on a fresh database both
    insert its first version: UniqueViolation on checkpoint_migrations_pkey)."""
    async with await psycopg.AsyncConnection.connect(admin_url, **CONNECT_KWARGS) as conn:
        async with migration_lock(conn):
            await AsyncPostgresSaver(conn).setup()


async def open_checkpointer(pool: AsyncConnectionPool, admin_url: str) -> AsyncPostgresSaver:
    """A saver on the shared pool, its tables created by the owner's connection: the pool's role,
    mnemo_app, may use them but not create them; migration 004's default privileges grant it the tables
    the owner creates."""
    await setup_checkpointer(admin_url)
    return AsyncPostgresSaver(pool)  # type: ignore[arg-type]
