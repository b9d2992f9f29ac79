"""LangGraph's own PostgreSQL checkpointer on Mnemo's pool, and the context manager langgraph.json uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg_pool import AsyncConnectionPool


async def open_checkpointer(pool: AsyncConnectionPool) -> AsyncPostgresSaver:
    """A saver on the shared pool, its tables created (setup() is idempotent)."""
    saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
    await saver.setup()
    return saver


@asynccontextmanager
async def langgraph_checkpointer() -> AsyncIterator[AsyncPostgresSaver]:
    """For `checkpointer.path` in langgraph.json: the same database the API uses."""
    from graphs.resources import shared_resources

    resources = await shared_resources()
    yield resources.checkpointer
