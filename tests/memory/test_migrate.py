import psycopg
import pytest

from memory.db import DatabaseUnavailable, check_database
from memory.migrate import discover, migrate


def test_discover_orders_numbered_files(tmp_path):
    for name in ("010_b.sql", "002_a.sql", "notes.txt"):
        (tmp_path / name).write_text("SELECT 1")
    assert [(m.version, m.name) for m in discover(tmp_path)] == [(2, "a"), (10, "b")]


def test_discover_refuses_duplicate_numbers(tmp_path):
    (tmp_path / "001_a.sql").write_text("")
    (tmp_path / "001_b.sql").write_text("")
    with pytest.raises(RuntimeError, match="share a number"):
        discover(tmp_path)


async def test_migrations_recorded_and_rerun_is_a_no_op(resources):
    assert await migrate(resources.urls.database_url) == []
    async with resources.pool.connection() as conn:
        rows = await (await conn.execute("SELECT version FROM schema_migrations ORDER BY version")).fetchall()
        ext = await (await conn.execute("SELECT extversion FROM pg_extension WHERE extname='vector'")).fetchone()
    assert [r["version"] for r in rows] == [m.version for m in discover()]
    assert ext is not None


async def test_failed_migration_rolls_back_and_is_not_recorded(resources, tmp_path):
    (tmp_path / "001_ok.sql").write_text("CREATE TABLE mig_probe_ok (id int);")
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE mig_probe_bad (id int); SELECT nope_no_such_column;")
    url = resources.urls.database_url
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:  # DDL: the owner's
        await conn.execute("DROP TABLE IF EXISTS mig_probe_ok, mig_probe_bad")
        await conn.execute("CREATE SCHEMA IF NOT EXISTS migtest")
    probe_url = url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dmigtest"
    with pytest.raises(psycopg.errors.UndefinedColumn, match="nope_no_such_column"):
        await migrate(probe_url, tmp_path)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        tables = {r[0] for r in await (await conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'migtest'")).fetchall()}
        await conn.execute("DROP SCHEMA migtest CASCADE")
    assert "mig_probe_ok" in tables and "mig_probe_bad" not in tables


async def test_unreachable_database_names_the_variable():
    with pytest.raises(DatabaseUnavailable, match="DATABASE_URL"):
        await check_database("postgresql://nobody@127.0.0.1:1/none")
