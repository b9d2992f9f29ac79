"""Apply migrations/NNN_name.sql in order, each in its own transaction, under an advisory lock.

Several API processes may start at once: the lock makes one of them migrate and the others wait.
Applied versions are recorded in schema_migrations.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
ADVISORY_LOCK_ID = 0x6D6E656D6F  # "mnemo"

CREATE_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
APPLIED_SQL = "SELECT version FROM schema_migrations"
RECORD_SQL = "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)"


@asynccontextmanager
async def migration_lock(conn: psycopg.AsyncConnection) -> AsyncIterator[None]:
    """Hold the schema's advisory lock on this (autocommit) connection: one process at a time creates or
    changes tables (our migrations, LangGraph's checkpointer tables, procrastinate's queue)."""
    await conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_ID,))
    try:
        yield
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_ID,))


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Migrations on disk, ordered by their number."""
    found = []
    for path in directory.glob("*.sql"):
        match = re.fullmatch(r"(\d+)_(.+)\.sql", path.name)
        if match:
            found.append(Migration(int(match[1]), match[2], path))
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two migrations share a number in {directory}")
    return sorted(found, key=lambda m: m.version)


async def migrate(url: str, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply pending migrations; return those applied by this call."""
    applied_now: list[Migration] = []
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        async with migration_lock(conn):
            await conn.execute(CREATE_TABLE_SQL)
            done = {row[0] for row in await (await conn.execute(APPLIED_SQL)).fetchall()}
            for migration in discover(directory):
                if migration.version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(migration.path.read_text())
                    await conn.execute(RECORD_SQL, (migration.version, migration.name))
                applied_now.append(migration)
    return applied_now
