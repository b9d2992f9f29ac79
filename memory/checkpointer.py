"""LangGraph's own PostgreSQL checkpointer on Mnemo's pool (langgraph.json's context manager, which
reaches the process's shared resources, is `graphs.resources.langgraph_checkpointer`)."""

from __future__ import annotations

import psycopg
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg_pool import AsyncConnectionPool

from memory.db import CONNECT_KWARGS


async def open_checkpointer(pool: AsyncConnectionPool, admin_url: str) -> AsyncPostgresSaver:
    """A saver on the shared pool, its tables created by the owner's connection (setup() is idempotent):
    the pool's role, mnemo_app, may use them but not create them; migration 004's default privileges
    grant it the tables the owner creates."""
    async with await psycopg.AsyncConnection.connect(admin_url, **CONNECT_KWARGS) as conn:
        await AsyncPostgresSaver(conn).setup()
    return AsyncPostgresSaver(pool)  # type: ignore[arg-type]

