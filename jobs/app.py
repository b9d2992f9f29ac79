"""The procrastinate App and its schema, in Mnemo's own PostgreSQL.

One App per process (procrastinate binds tasks to it at import time). Enqueueing needs no pool of its
own: jobs are written on a connection of the caller's pool (see jobs/enqueue.py). A worker gives
procrastinate a small pool of its own (`worker_connector`): procrastinate's LISTEN connection copies
the pool's connection settings and adds `autocommit`, which Mnemo's pool already sets (psycopg then
refuses the duplicate keyword). The queue's tables are created once, under the same advisory lock as
our migrations, so several processes starting together never apply the schema twice.
"""

from __future__ import annotations

import importlib.metadata
import logging

import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate.schema import SchemaManager

from memory.migrate import migration_lock

log = logging.getLogger(__name__)

EXTRACTION_QUEUE = "extraction"
SESSIONS_QUEUE = "sessions"  # consolidation of ended sessions
QUEUES = (EXTRACTION_QUEUE, SESSIONS_QUEUE)  # what `mnemo worker` runs
SCHEMA_VERSION = importlib.metadata.version("procrastinate")

SCHEMA_PRESENT_SQL = "SELECT to_regclass('procrastinate_jobs') IS NOT NULL"
RECORDED_VERSION_SQL = "SELECT value FROM mnemo_meta WHERE key = 'procrastinate_schema'"
RECORD_VERSION_SQL = """
INSERT INTO mnemo_meta (key, value) VALUES ('procrastinate_schema', %s)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"""

queue = App(connector=PsycopgConnector(), import_paths=["jobs.tasks"])


def worker_connector(url: str, concurrency: int) -> PsycopgConnector:
    """A connector with its own pool: one connection per running job's bookkeeping, plus heartbeat and
    stalled-job recovery (the LISTEN connection is separate). Open with `open_async()`."""
    return PsycopgConnector(conninfo=url, min_size=1, max_size=concurrency + 2, name="procrastinate")


async def ensure_schema(url: str) -> bool:
    """Create procrastinate's tables if this database has none; True when this call created them.

    Mnemo's migrations must have run (the version is recorded in mnemo_meta). A database whose queue
    schema came from another procrastinate version is reported, not changed: its migrations ship with
    procrastinate (`procrastinate schema --migrations-path`)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        async with migration_lock(conn):
            present = (await (await conn.execute(SCHEMA_PRESENT_SQL)).fetchone())[0]
            if not present:
                async with conn.transaction():
                    await conn.execute(SchemaManager.get_schema())
                    await conn.execute(RECORD_VERSION_SQL, (SCHEMA_VERSION,))
                log.info("created the job queue schema (procrastinate %s)", SCHEMA_VERSION)
                return True
            recorded = await (await conn.execute(RECORDED_VERSION_SQL)).fetchone()
            if recorded is not None and recorded[0] != SCHEMA_VERSION:
                log.warning("the job queue schema was created by procrastinate %s, this is %s: apply its "
                            "migrations", recorded[0], SCHEMA_VERSION)
            return False
