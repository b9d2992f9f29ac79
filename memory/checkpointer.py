"""LangGraph's own PostgreSQL checkpointer on Mnemo's pool, and the context manager langgraph.json uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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


@asynccontextmanager
async def langgraph_checkpointer() -> AsyncIterator[AsyncPostgresSaver]:
    """For `checkpointer.path` in langgraph.json: the same database the API uses."""
    from graphs.resources import shared_resources

    resources = await shared_resources()
    yield resources.checkpointer
