"""The machine's PostgreSQL has no pgvector: Mnemo must say so and name what to change."""

import psycopg
import pytest

from memory.db import DatabaseUnavailable, check_database

MACHINE_PG = "postgresql://postgres@127.0.0.1:5432/test"


async def _machine_pg_has_pgvector() -> bool | None:
    try:
        async with await psycopg.AsyncConnection.connect(MACHINE_PG, connect_timeout=2) as conn:
            row = await (await conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).fetchone()
            return row is not None
    except psycopg.OperationalError:
        return None


async def test_server_without_pgvector_is_refused_clearly():
    has = await _machine_pg_has_pgvector()
    if has is None:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432 on this machine")
    if has:
        pytest.skip("this machine's PostgreSQL has pgvector")
    with pytest.raises(DatabaseUnavailable, match="no pgvector.*DATABASE_URL"):
        await check_database(MACHINE_PG)
