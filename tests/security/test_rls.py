"""Row-level security, checked through the application's own pool and role (mnemo_app): a tenant sees,
changes and creates only its own rows on every table of ours, a connection with no tenant sees
nothing, and the role can neither switch row security off nor leave itself.

Tables are read from the catalog, so a table added later with a tenant_id and no policy fails here."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import errors

from graphs.runner import run_turn
from memory.db import APP_ROLE, tenant_connection
from memory.hints import insert_hints
from memory.memories import NewMemory, correct_memory, list_memories
from memory.users import authenticate, create_api_key, key_tenants, revoke_key

CORE_TABLES = {"users", "api_keys", "threads", "messages", "memories", "hints", "usage", "memory_corrections"}
TENANT_TABLES_SQL = """
SELECT c.relname AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY c.relname"""
# Columns a row copy may name: the generated ones (tsv, identity seq/id) take their defaults.
WRITABLE_COLUMNS_SQL = """
SELECT column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = %s
  AND is_generated = 'NEVER' AND coalesce(identity_generation, '') <> 'ALWAYS'
ORDER BY ordinal_position"""


async def _owner(resources) -> psycopg.AsyncConnection:
    """The migration owner's connection: sees every tenant (to seed and to check what really happened)."""
    return await psycopg.AsyncConnection.connect(resources.admin_url, autocommit=True)


async def _tenant_tables(resources) -> list[dict]:
    async with await _owner(resources) as conn:
        conn.row_factory = psycopg.rows.dict_row
        return await (await conn.execute(TENANT_TABLES_SQL)).fetchall()


async def _seed(runtime, tenant: str) -> None:
    """Rows of `tenant` in every core table, written by the product's own paths."""
    resources = runtime.resources
    async with tenant_connection(resources.pool, tenant) as conn:
        await create_api_key(conn, tenant_id=tenant, user_id="alice")
    thread = str(uuid.uuid4())
    await run_turn(runtime.graph, message="I'm allergic to peanuts and I live in Lisbon.", thread_id=thread,
                   tenant_id=tenant, user_id="alice")
    owner = {"tenant_id": tenant, "user_id": "alice"}
    [vector] = resources.embedder.embed(["User lives in Porto"])
    async with tenant_connection(resources.pool, tenant) as conn:
        memory = next(m for m in await list_memories(conn, **owner) if m["key"] == "profile.location")
        message = await (await conn.execute(
            "SELECT id FROM messages WHERE thread_id = %s LIMIT 1", (thread,))).fetchone()
        await insert_hints(conn, **owner, thread_id=thread, message_id=message["id"], hints=[
            {"id": str(uuid.uuid4()), "type": "preference_reminder", "text": "x", "score": 0.5,
             "memory_id": str(memory["id"])}])
        await correct_memory(conn, **owner, memory_id=memory["id"], embedding=vector,
                             new=NewMemory("profile", "profile.location", "Porto"))


@pytest.fixture(scope="module")
async def two_tenants(runtime) -> tuple[str, str]:
    a, b = f"rls-a-{uuid.uuid4().hex[:8]}", f"rls-b-{uuid.uuid4().hex[:8]}"
    await _seed(runtime, a)
    await _seed(runtime, b)
    return a, b


async def _count(conn, table: str, tenant: str) -> int:
    row = await (await conn.execute(f'SELECT count(*) AS n FROM "{table}" WHERE tenant_id = %s', (tenant,))).fetchone()
    return row["n"] if isinstance(row, dict) else row[0]


async def test_every_tenant_table_has_forced_row_level_security(resources):
    tables = await _tenant_tables(resources)
    assert CORE_TABLES <= {t["name"] for t in tables}
    unprotected = [t["name"] for t in tables if not (t["rls"] and t["forced"])]
    assert unprotected == [], f"tables with a tenant_id but no ENABLE + FORCE row level security: {unprotected}"
    async with await _owner(resources) as conn:
        with_policy = {r[0] for r in await (await conn.execute(
            "SELECT tablename FROM pg_policies WHERE schemaname = current_schema() AND policyname = 'tenant_isolation'"
        )).fetchall()}
    assert {t["name"] for t in tables} <= with_policy


async def test_the_app_role_is_restricted_and_owns_nothing(resources):
    async with resources.pool.connection() as conn:
        me = await (await conn.execute(
            "SELECT current_user AS name, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user"
        )).fetchone()
        owned = await (await conn.execute(
            "SELECT count(*) AS n FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = %s)",
            (APP_ROLE,))).fetchone()
    assert me == {"name": APP_ROLE, "rolsuper": False, "rolbypassrls": False}
    assert owned["n"] == 0


async def test_without_a_tenant_nothing_is_visible_and_nothing_can_be_written(resources, two_tenants):
    a, _ = two_tenants
    tables = [t["name"] for t in await _tenant_tables(resources)]
    async with resources.pool.connection() as conn:
        for table in tables:
            row = await (await conn.execute(f'SELECT count(*) AS n FROM "{table}"')).fetchone()
            assert row["n"] == 0, table
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            await conn.execute("INSERT INTO users (tenant_id, user_id) VALUES (%s, 'mallory')", (a,))


async def _copy_of_a_row(resources, table: str, tenant: str) -> tuple[list[str], str] | None:
    """(writable columns, one row of `tenant` as JSON), read by the owner; None when the table is empty."""
    async with await _owner(resources) as conn:
        columns = [r[0] for r in await (await conn.execute(WRITABLE_COLUMNS_SQL, (table,))).fetchall()]
        row = await (await conn.execute(
            f'SELECT to_jsonb(t)::text FROM "{table}" t WHERE tenant_id = %s LIMIT 1', (tenant,))).fetchone()
    return (columns, row[0]) if row else None


async def test_a_tenant_cannot_read_change_delete_or_insert_another_tenants_rows(resources, two_tenants):
    a, b = two_tenants
    checked = set()
    for table in [t["name"] for t in await _tenant_tables(resources)]:
        async with await _owner(resources) as conn:
            before = await _count(conn, table, a)
        async with tenant_connection(resources.pool, b) as conn:
            assert await _count(conn, table, a) == 0, table
            updated = await conn.execute(f'UPDATE "{table}" SET tenant_id = tenant_id WHERE tenant_id = %s', (a,))
            deleted = await conn.execute(f'DELETE FROM "{table}" WHERE tenant_id = %s', (a,))
            assert (updated.rowcount, deleted.rowcount) == (0, 0), table
        async with await _owner(resources) as conn:
            assert await _count(conn, table, a) == before, table
        copy = await _copy_of_a_row(resources, table, a)
        if copy is None:
            continue  # a newer table this test does not seed: visibility, update and delete were checked
        columns, row = copy
        names = ", ".join(f'"{c}"' for c in columns)
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            async with tenant_connection(resources.pool, b) as conn:  # B writes a row that says tenant A
                await conn.execute(
                    f'INSERT INTO "{table}" ({names}) SELECT {names} FROM jsonb_populate_record(NULL::"{table}", %s)',
                    (row,))
        checked.add(table)
        async with tenant_connection(resources.pool, a) as conn:
            assert await _count(conn, table, a) > 0, table  # the owner tenant itself does see them
    assert CORE_TABLES <= checked


async def test_b_cannot_move_its_own_rows_into_a(resources, two_tenants):
    a, b = two_tenants
    with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
        async with tenant_connection(resources.pool, b) as conn:
            await conn.execute("UPDATE memories SET tenant_id = %s WHERE tenant_id = %s", (a, b))


@pytest.mark.parametrize("statement", [
    "ALTER TABLE memories DISABLE ROW LEVEL SECURITY",
    "ALTER TABLE memories NO FORCE ROW LEVEL SECURITY",
    "DROP POLICY tenant_isolation ON memories",
    "CREATE POLICY open_door ON memories USING (true)",
    "ALTER TABLE memories OWNER TO mnemo_app",
])
async def test_the_app_role_cannot_change_row_security(resources, tenant, statement):
    with pytest.raises(errors.InsufficientPrivilege):
        async with tenant_connection(resources.pool, tenant) as conn:
            await conn.execute(statement)


async def test_row_security_off_is_refused(resources, two_tenants):
    _, b = two_tenants
    with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
        async with tenant_connection(resources.pool, b) as conn:
            await conn.execute("SET LOCAL row_security = off")
            await conn.execute("SELECT count(*) FROM memories")


async def test_the_app_role_cannot_become_another_role(resources, tenant):
    with pytest.raises(errors.InsufficientPrivilege):
        async with tenant_connection(resources.pool, tenant) as conn:
            owner = (await (await conn.execute(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'memories' AND schemaname = current_schema()"
            )).fetchone())["tableowner"]
            await conn.execute(psycopg.sql.SQL("SET LOCAL ROLE {}").format(psycopg.sql.Identifier(owner)))


async def test_reset_role_stays_the_app_role_on_the_embedded_server(resources, tenant):
    """The embedded server's pool logs in as mnemo_app: there is no other role to go back to."""
    if "postgres" not in resources.urls.embedded:
        pytest.skip("a configured DATABASE_URL decides the login role (docs/security.md)")
    with pytest.raises(RuntimeError, match="rolled back"):
        async with tenant_connection(resources.pool, tenant) as conn:
            await conn.execute("RESET ROLE")
            who = await (await conn.execute("SELECT current_user AS c, session_user AS s")).fetchone()
            assert who == {"c": APP_ROLE, "s": APP_ROLE}
            raise RuntimeError("rolled back")  # leave the pooled connection as it was


async def test_definer_lookups_pin_their_search_path_and_are_not_public(resources):
    async with await _owner(resources) as conn:
        rows = await (await conn.execute(
            "SELECT p.proname, p.prosecdef, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE'),"
            " has_function_privilege(%s, p.oid, 'EXECUTE') FROM pg_proc p"
            " WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'mnemo\\_%%'",
            (APP_ROLE,))).fetchall()
    assert {r[0] for r in rows} >= {"mnemo_authenticate", "mnemo_message_tenant", "mnemo_pending_extractions",
                                    "mnemo_key_tenants", "mnemo_memory_text_matches", "mnemo_message_text_matches"}
    for name, definer, config, public, app in rows:
        assert definer and any(c.startswith("search_path=") for c in config or []), name
        assert not public and app, name


WORD = "ARRAY[plainto_tsquery('english', %s)]"
TEXT_MATCHES_SQL = {
    "memories": f"SELECT id FROM mnemo_memory_text_matches(%s, {WORD}, 100, NULL, NULL, NULL)",
    "messages": f"SELECT id FROM mnemo_message_text_matches(%s, {WORD}, 100, NULL, NULL, NULL, NULL)",
}
OWNER_MATCHES_SQL = "SELECT id FROM {} WHERE tenant_id = %s AND tsv @@ plainto_tsquery('english', %s)"


@pytest.mark.parametrize("table", sorted(TEXT_MATCHES_SQL))
async def test_search_text_matches_are_bound_to_the_transactions_tenant(resources, two_tenants, table):
    """The definer functions read past row-level security to use the GIN index: they must themselves return
    only the rows of the tenant the transaction set, whichever user id the caller names."""
    a, b = two_tenants
    word = "peanuts" if table == "messages" else "porto"
    async with tenant_connection(resources.pool, a) as conn:
        own = await (await conn.execute(TEXT_MATCHES_SQL[table], ("alice", word))).fetchall()
    async with await _owner(resources) as conn:
        sql = OWNER_MATCHES_SQL.format(table)
        b_ids = {r[0] for r in await (await conn.execute(sql, (b, word))).fetchall()}
        a_ids = {r[0] for r in await (await conn.execute(sql, (a, word))).fetchall()}
    assert b_ids and a_ids  # both tenants hold a matching row
    assert {r["id"] for r in own} == a_ids
    async with resources.pool.connection() as conn:  # no tenant set: nothing
        assert await (await conn.execute(TEXT_MATCHES_SQL[table], ("alice", word))).fetchall() == []


async def test_authentication_needs_no_tenant_and_refuses_revoked_and_expired_keys(resources, tenant):
    from datetime import UTC, datetime, timedelta

    async with tenant_connection(resources.pool, tenant) as conn:
        live = await create_api_key(conn, tenant_id=tenant, user_id="alice")
        expired = await create_api_key(conn, tenant_id=tenant, user_id="alice",
                                       expires_at=datetime.now(UTC) - timedelta(seconds=1))
    async with resources.pool.connection() as conn:  # no tenant set
        assert (await authenticate(conn, live)).tenant_id == tenant
        assert await authenticate(conn, expired) is None
        [(key_id, owner)] = await key_tenants(conn, live[:10])
    assert owner == tenant
    async with tenant_connection(resources.pool, f"{tenant}-other") as conn:  # another tenant cannot revoke it
        assert await revoke_key(conn, tenant_id=f"{tenant}-other", id_or_prefix=str(key_id)) == []
        assert await revoke_key(conn, tenant_id=tenant, id_or_prefix=str(key_id)) == []
    async with tenant_connection(resources.pool, tenant) as conn:
        assert [r["id"] for r in await revoke_key(conn, tenant_id=tenant, id_or_prefix=str(key_id))] == [key_id]
    async with resources.pool.connection() as conn:
        assert await authenticate(conn, live) is None


async def test_revoked_and_expired_keys_get_401(client, resources, tenant):
    from datetime import UTC, datetime, timedelta

    async with tenant_connection(resources.pool, tenant) as conn:
        expired = await create_api_key(conn, tenant_id=tenant, user_id="alice",
                                       expires_at=datetime.now(UTC) - timedelta(minutes=1))
        revoked = await create_api_key(conn, tenant_id=tenant, user_id="alice")
        await revoke_key(conn, tenant_id=tenant, id_or_prefix=revoked[:10])
    for key in (expired, revoked):
        answer = await client.post("/v1/search", json={"query": "x"}, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"


async def test_an_empty_tenant_is_refused(resources):
    """'' is what the setting reads after a tenant's transaction ended: never a tenant."""
    with pytest.raises(ValueError):
        async with tenant_connection(resources.pool, ""):
            pass
